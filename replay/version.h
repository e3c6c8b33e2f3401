#pragma once
// The lockstep version a trace records and a replay must match (CMake's project version).
namespace lockstep::replay {
const char* lockstep_version();
}
