#pragma once
// What a trace header says about the machine, shared by `lockstep record` (writes it) and
// `lockstep replay` (checks it against the machine the recorded command line builds here).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "machines/virt/virt_machine.h"
#include "tools/run_options.h"

namespace lockstep::tools {

// The resolved configuration: machine version (not the alias "virt"), RAM, harts, seeds, images,
// devices. Two runs with equal JSON build the same machine.
nlohmann::ordered_json machine_json(const machines::virt::VirtConfig& c);

// Every file the guest reads: [{"role", "path", "size", "xxh3"}].
Result<nlohmann::ordered_json> images_json(const machines::virt::VirtConfig& c);

// "" when `now` (images_json of the files as they are) matches the recorded list, else the reason.
std::string changed_image(const nlohmann::ordered_json& recorded, const nlohmann::ordered_json& now);

// The first key where two machine_json differ, as "key: recorded X, here Y"; "" when equal.
std::string machine_difference(const nlohmann::ordered_json& recorded, const nlohmann::ordered_json& now);

}  // namespace lockstep::tools
