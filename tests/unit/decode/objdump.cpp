#include "objdump.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

extern char** environ;

namespace lockstep::tests::decode {
namespace {

constexpr const char* kObjdump = "riscv64-unknown-elf-objdump";

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// Writes the words to a fresh temporary file; returns its path ("" on failure).
std::string write_words(const std::vector<uint32_t>& words, unsigned width) {
  std::string path = (std::filesystem::temp_directory_path() / "lockstep-decode-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return "";
  std::string bytes;
  bytes.reserve(words.size() * width);
  for (uint32_t w : words) {
    for (unsigned b = 0; b < width; ++b) bytes.push_back(static_cast<char>((w >> (8 * b)) & 0xff));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(path.c_str());
      return "";
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

// Runs objdump on `path`; returns its stdout, or sets `error`.
std::string run_objdump(const std::string& path, std::string& error) {
  int out[2];
  if (::pipe(out) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return "";
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, out[1]);
  std::string a0 = kObjdump, a1 = "-D", a2 = "-z", a3 = "-b", a4 = "binary", a5 = "-m", a6 = "riscv:rv64", a7 = "-M",
              a8 = "no-aliases,numeric", a9 = path;
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), a5.data(),
                  a6.data(), a7.data(), a8.data(), a9.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, kObjdump, &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    error = std::string(kObjdump) + " could not be started (" + std::strerror(rc) +
            "): the decoder tests need it on PATH; install Debian's binutils-riscv64-unknown-elf";
    return "";
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = std::string(kObjdump) + " failed (status " + std::to_string(status) + ")";
  }
  return text;
}

}  // namespace

RefRun objdump_words(const std::vector<uint32_t>& words, unsigned width) {
  RefRun run;
  run.insns.resize(words.size());
  const std::string path = write_words(words, width);
  if (path.empty()) {
    run.error = "could not write a temporary file for objdump";
    return run;
  }
  const std::string text = run_objdump(path, run.error);
  ::unlink(path.c_str());
  if (!run.error.empty()) return run;

  // Instruction lines: "<addr hex>:\t<bytes>\t<mnemonic>[\t<operands>]".
  std::vector<bool> seen(words.size(), false);
  size_t lines = 0;
  std::string previous;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    const size_t colon = line.find(":\t");
    if (colon == std::string_view::npos) continue;
    const std::string addr_text = trim(line.substr(0, colon));
    char* end = nullptr;
    const unsigned long long addr = std::strtoull(addr_text.c_str(), &end, 16);
    if (addr_text.empty() || *end != '\0') continue;
    std::string_view rest = line.substr(colon + 2);
    const size_t tab = rest.find('\t');
    if (tab == std::string_view::npos) continue;
    rest.remove_prefix(tab + 1);  // past the bytes column
    std::string_view mnemonic = rest, operands;
    if (const size_t t = rest.find('\t'); t != std::string_view::npos) {
      mnemonic = rest.substr(0, t);
      operands = rest.substr(t + 1);
    }
    if (const size_t hash = operands.find('#'); hash != std::string_view::npos) operands = operands.substr(0, hash);
    if (addr % width != 0 || addr / width >= words.size()) {
      run.error = "objdump printed an instruction at unexpected address: '" + std::string(line) + "' after '" +
                  previous + "'";
      return run;
    }
    previous = std::string(line);
    const size_t k = addr / width;
    seen[k] = true;
    ++lines;
    const std::string m = trim(mnemonic);
    if (m == ".2byte" || m == ".4byte" || m == ".byte" || m == ".short" || m == ".word") continue;
    run.insns[k] = RefInsn{m, trim(operands)};
  }
  if (lines != words.size()) {
    run.error = "objdump printed " + std::to_string(lines) + " instructions for " + std::to_string(words.size()) +
                " words";
  }
  return run;
}

}  // namespace lockstep::tests::decode
