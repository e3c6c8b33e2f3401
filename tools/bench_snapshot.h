#pragma once
#include <string>

namespace lockstep::tools {

// `lockstep bench --snapshot`: save and load of a 1 GiB guest with a quarter of its pages holding
// data, plain and .zst, side by side with QEMU's own save of the same guest to a file.
int bench_snapshot(const std::string& qemu, int runs, int timeout, const std::string& dir);

}  // namespace lockstep::tools
