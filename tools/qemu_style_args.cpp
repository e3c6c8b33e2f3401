#include "tools/qemu_style_args.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace lockstep::tools {

std::vector<std::string> qemu_style_args(int argc, char** argv) {
  static constexpr std::array<std::string_view, 17> kSingleDashLong = {
      "-bios",    "-kernel", "-smp", "-append", "-machine",   "-initrd", "-drive", "-memory", "-dumpdtb",
      "-device",  "-dtb",    "-seed", "-nographic", "-serial", "-rtc",    "-gdb",   "-netdev",
  };
  std::vector<std::string> out;
  for (int k = 0; k < argc; ++k) {
    std::string a = argv[k];
    const auto eq = a.find('=');
    const std::string_view name = std::string_view(a).substr(0, eq);
    if (k > 0 && std::find(kSingleDashLong.begin(), kSingleDashLong.end(), name) != kSingleDashLong.end()) {
      a = std::string("-") + a;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace lockstep::tools
