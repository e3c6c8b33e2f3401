#pragma once
#include <string>
#include <vector>

namespace lockstep::tools {

// QEMU spells long options with one dash (-bios, -kernel, -smp). Rewrites those we accept to
// the two-dash form the option parser expects; everything else is passed through untouched.
std::vector<std::string> qemu_style_args(int argc, char** argv);

}  // namespace lockstep::tools
