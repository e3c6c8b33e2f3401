#pragma once
#include <string>

namespace lockstep::tools {

// `lockstep bench --record`: what recording costs, side by side in one run. For a compute-bound
// guest (the integer workload) and a console-heavy one (Linux booting to power-off, when built):
// lockstep run, lockstep record, lockstep replay of that trace, and QEMU -icount shift=0 without and
// with its own record/replay (rr=record,rrfile=F); times, overheads, trace and log sizes.
int bench_record(const std::string& guests_dir, const std::string& linux_dir, const std::string& qemu, int runs,
                 int timeout, const std::string& work_dir);

}  // namespace lockstep::tools
