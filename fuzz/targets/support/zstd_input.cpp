#include "fuzz/targets/support/zstd_input.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

namespace lockstep::fuzz {

std::optional<std::string> decompress_zstd(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  if (bytes.size() < 4 || !std::equal(bytes.begin(), bytes.begin() + 4, "\x28\xb5\x2f\xfd")) return std::nullopt;
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(), ZSTD_freeDStream);
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  for (;;) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    const std::size_t rc = ZSTD_decompressStream(ds.get(), &o, &in);
    if (ZSTD_isError(rc) || out.size() + o.pos > max_bytes) return std::nullopt;
    out.append(chunk.data(), o.pos);
    const bool input_done = in.pos == in.size, output_flushed = o.pos < o.size;
    if (input_done && output_flushed) {
      if (rc != 0) return std::nullopt;  // a truncated frame
      break;
    }
  }
  return out;
}

}  // namespace lockstep::fuzz
