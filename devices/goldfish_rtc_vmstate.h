#pragma once
// vmstate "goldfish_rtc" (Debian QEMU 7.2's hw/rtc/goldfish_rtc.c, version 3) for GoldfishRtc.
#include "devices/goldfish_rtc.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "goldfish_rtc" v3 (min 0): wire-compatible with QEMU 7.2 unless a TIME write moved the
// time under an armed alarm (then the lockstep-only subsection carries the deadline).
const snapshot::vm::Section<GoldfishRtc::State>& goldfish_rtc_vmstate();

}  // namespace lockstep::devices
