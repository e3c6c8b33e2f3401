#include "fuzz/targets/support/round_trip.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "fuzz/targets/support/small_machine.h"
#include "fuzz/targets/support/stream_layout.h"
#include "machines/virt/virt_snapshot.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::fuzz {

namespace {

namespace virt = machines::virt;
namespace st = snapshot::stream;

[[noreturn]] void finding(const std::string& step, const std::string& what) {
  std::fprintf(stderr, "round trip failed after %s: %s\n", step.c_str(), what.c_str());
  __builtin_trap();
}

std::vector<std::uint8_t> save(const virt::VirtMachine& m, const std::string& step, const char* which) {
  std::vector<std::uint8_t> bytes;
  st::ByteSink sink(&bytes);
  if (auto r = virt::save_snapshot(m, sink); !r) finding(step, std::string(which) + " save: " + r.error().message);
  if (Status s = sink.flush(); !s) finding(step, std::string(which) + " flush: " + s.error().message);
  return bytes;
}

// "offset 1234 (section 'serial' instance 0, body byte 7)": where two saves of one state part.
std::string first_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  std::string where = "offset " + std::to_string(i);
  if (const auto layout = parse_stream_layout(a)) {
    for (const StreamSection& s : layout->sections) {
      if (i < s.begin || i >= s.end || !s.has_idstr) continue;
      const std::string idstr(a.begin() + static_cast<std::ptrdiff_t>(s.begin + 6),
                              a.begin() + static_cast<std::ptrdiff_t>(s.begin + 6 + a[s.begin + 5]));
      where += " (section '" + idstr + "' instance " + std::to_string(read_be32(a, s.header_end - 8)) +
               ", body byte " + std::to_string(i - s.header_end) + ")";
    }
  }
  return where;
}

}  // namespace

void require_round_trip(const virt::VirtMachine& m, const std::string& step) {
  const std::vector<std::uint8_t> stream = save(m, step, "source");
  // The source's own configuration (its devices, not only its machine version): a target may add
  // devices to the small machine.
  auto created = virt::VirtMachine::create(m.config(), [](std::uint8_t) {});
  if (!created) finding(step, "cannot build a machine of the source's configuration: " + created.error().message);
  auto copy = std::move(created.value());
  auto src = st::ByteSource::from_memory(stream);
  if (Status s = virt::load_snapshot(*copy, *src); !s) finding(step, "load of the machine's own stream: " + s.error().message);
  if (copy->digest() != m.digest()) finding(step, "the loaded machine's digest differs from the source's");
  const std::vector<std::uint8_t> again = save(*copy, step, "copy");
  if (again != stream)
    finding(step, "the loaded machine saves a different stream (sizes " + std::to_string(stream.size()) + " and " +
                      std::to_string(again.size()) + ", first difference at " + first_difference(stream, again) +
                      "; icount " + std::to_string(m.icount()) + " and " + std::to_string(copy->icount()) +
                      ", virtual ns " + std::to_string(m.clock_now_ns()) + " and " +
                      std::to_string(copy->clock_now_ns()) + ")");
}

SectionRoundTrip::SectionRoundTrip(const std::string& machine) : copy_(make_small_machine(machine)) {}

void SectionRoundTrip::require(const virt::VirtMachine& m, const std::string& step) {
  const auto& sections = m.sections();
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const virt::MachineSection& from = *sections[i];
    virt::MachineSection& to = *copy_->sections()[i];
    const std::string name = "section '" + from.idstr() + "' instance " + std::to_string(from.instance());
    snapshot::Writer saved;
    if (Status s = from.save(saved, nullptr); !s) finding(step, name + " save: " + s.error().message);
    snapshot::Reader reader(saved.bytes());
    if (Status s = to.stage(reader, from.wire_version()); !s) finding(step, name + " load: " + s.error().message);
    if (reader.remaining() != 0) finding(step, name + ": the load left " + std::to_string(reader.remaining()) + " bytes unread");
    to.commit();
    snapshot::Writer again;
    if (Status s = to.save(again, nullptr); !s) finding(step, name + " save of the copy: " + s.error().message);
    if (again.bytes().size() != saved.bytes().size() ||
        !std::equal(saved.bytes().begin(), saved.bytes().end(), again.bytes().begin()))
      finding(step, name + ": the loaded copy saves different bytes");
  }
}

}  // namespace lockstep::fuzz
