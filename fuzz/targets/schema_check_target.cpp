// `lockstep snapshot check SRC DST [--json]` on two -dump-vmstate schemas or destination
// descriptions. The input is SRC, a NUL byte, DST (JSON text cannot hold a raw NUL); without a NUL
// the schema is checked against itself. Both directions are checked.
// fuzz-seeds: schema-pairs
// fuzz-dict: schema.dict
// fuzz-regressions: *.json *.json.zst
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "fuzz/targets/support/mutator_hooks.h"
#include "snapshot/inspect/check.h"
#include "snapshot/stream/json_access.h"
#include "fuzz/targets/support/zstd_input.h"

namespace {

using namespace lockstep;
namespace inspect = snapshot::inspect;

std::optional<inspect::MachineSchema> schema(std::string_view text, const char* origin) {
  auto json = snapshot::stream::parse_json(text, origin);
  if (!json) return std::nullopt;
  auto s = inspect::parse_schema(json.value(), origin);
  if (!s) return std::nullopt;
  return std::move(s.value());
}

void check(const inspect::MachineSchema& src, const inspect::MachineSchema& dst) {
  const auto r = inspect::check_schemas(src, dst);
  (void)snapshot::stream::json_text(inspect::check_json(r), 2);
  (void)inspect::check_text(r);
}

std::size_t mutate_schema_pair(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                               fuzz::ByteMutator bytes) {
  std::minstd_rand rng(seed);
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  std::string a = input.substr(0, nul), b = nul == std::string::npos ? a : input.substr(nul + 1);
  std::string& which = rng() % 2 ? a : b;
  which = fuzz::mutate_json_text(which, rng, bytes, max_size > size ? max_size - size + which.size() : which.size());
  const std::string out = a + '\0' + b;
  if (out.size() > max_size) return bytes(data, size, max_size);
  std::copy(out.begin(), out.end(), data);
  return out.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto decompressed = fuzz::decompress_zstd({data, size});
  std::string_view input = decompressed ? std::string_view(*decompressed)
                                        : std::string_view(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const auto src = schema(input.substr(0, nul), "src.json");
  const auto dst = nul == std::string_view::npos ? src : schema(input.substr(nul + 1), "dst.json");
  if (!src || !dst) return 0;
  check(*src, *dst);
  check(*dst, *src);
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(mutate_schema_pair)
