#include "replay/version.h"

namespace lockstep::replay {
const char* lockstep_version() { return LOCKSTEP_VERSION; }
}  // namespace lockstep::replay
