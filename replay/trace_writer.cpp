#include "replay/trace_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::replay {
namespace {

Status write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Error{fmt::format("cannot write trace '{}': {}", path, std::strerror(errno))};
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Ok{};
}

std::vector<std::uint8_t> json_bytes(const nlohmann::ordered_json& j) {
  const std::string text = j.dump();
  return {text.begin(), text.end()};
}

}  // namespace

Result<std::unique_ptr<TraceWriter>> TraceWriter::create(const std::string& path, const nlohmann::ordered_json& header) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{fmt::format("cannot create trace '{}': {}", path, std::strerror(errno))};
  std::unique_ptr<TraceWriter> w(new TraceWriter(fd, path));
  LS_TRY(write_all(fd, kTraceMagic.data(), kTraceMagic.size(), path));
  w->offset_ = kTraceMagic.size();
  LS_TRY(w->write_chunk(ChunkType::Header, json_bytes(header)));
  return w;
}

TraceWriter::~TraceWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status TraceWriter::write_chunk(ChunkType type, std::vector<std::uint8_t> payload) {
  if (fd_ < 0) return Error{fmt::format("trace '{}' is already closed", path_)};
  LS_TRY_ASSIGN(auto bytes, encode_chunk(Chunk{type, sequence_, std::move(payload)}));
  LS_TRY(write_all(fd_, bytes.data(), bytes.size(), path_));
  ++sequence_;
  offset_ += bytes.size();
  return Ok{};
}

Status TraceWriter::flush(std::uint64_t until) {
  pending_.until = until;
  LS_TRY(write_chunk(ChunkType::Events, encode_events(pending_)));
  pending_.events.clear();
  return Ok{};
}

Status TraceWriter::checkpoint(std::uint64_t icount, const std::vector<std::uint8_t>& stream) {
  std::vector<std::uint8_t> payload(8);
  for (unsigned k = 0; k < 8; ++k) payload[k] = static_cast<std::uint8_t>(icount >> (8 * k));
  payload.insert(payload.end(), stream.begin(), stream.end());
  return write_chunk(ChunkType::Checkpoint, std::move(payload));
}

Status TraceWriter::finish(std::uint64_t until, const nlohmann::ordered_json& end) {
  LS_TRY(flush(until));
  LS_TRY(write_chunk(ChunkType::End, json_bytes(end)));
  const int fd = fd_;
  fd_ = -1;
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Error{fmt::format("cannot write trace '{}': {}", path_, std::strerror(err))};
  return Ok{};
}

}  // namespace lockstep::replay
