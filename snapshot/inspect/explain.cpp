#include "snapshot/inspect/explain.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "snapshot/diagnosis/diagnosis.h"
#include "snapshot/inspect/info.h"
#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::inspect {

namespace diagnosis = snapshot::diagnosis;

namespace {

std::string str(const Json& j, const char* key) { return stream::json_string_or(j, key); }
std::uint64_t unum(const Json& j, const char* key) { return stream::json_u64_or(j, key, 0); }

// QEMU's vmdesc names the n-th of several same-named fields of one vmsd "name[n]" ("cur_offset[1]");
// -dump-vmstate lists them under the bare name.
bool same_field(const std::string& sent, const std::string& local) {
  if (sent == local) return true;
  if (sent.size() <= local.size() + 2 || sent.compare(0, local.size(), local) != 0 || sent[local.size()] != '[' ||
      sent.back() != ']')
    return false;
  return std::all_of(sent.begin() + static_cast<std::ptrdiff_t>(local.size()) + 1, sent.end() - 1,
                     [](char c) { return c >= '0' && c <= '9'; });
}

// The destination's schema entry whose vmsd is `vmsd_name` (-dump-vmstate keys by type name).
const Json* find_description(const Json& vmstate, const std::string& vmsd_name) {
  for (auto it = vmstate.begin(); it != vmstate.end(); ++it) {
    if (!it.value().is_object() || !it.value().contains("Description")) continue;
    const Json& d = it.value()["Description"];
    if (str(d, "name") == vmsd_name) return &d;
  }
  return nullptr;
}

class Explainer {
 public:
  Explainer(const StreamInfo& info, const MachineSchema& dest) : info_(info), dest_(dest) {}
  std::vector<ExplainProblem> out;

  void add(ExplainProblem::Severity sev, std::string msg, std::string cause, std::string advice, std::string section = {},
           std::uint32_t instance = 0, std::optional<std::uint64_t> offset = std::nullopt) {
    out.push_back(ExplainProblem{sev, std::move(msg), std::move(cause), std::move(advice), std::move(section), instance,
                                 offset});
  }

  void machine() {
    const auto& h = info_.walk.header;
    if (!dest_.machine.empty() && h.has_configuration && h.machine != dest_.machine)
      add(ExplainProblem::kError,
          fmt::format("Machine type received is '{}' and local is '{}'", h.machine, dest_.machine), "machine type",
          fmt::format("start the destination with -M {} (the same machine type and version as the source)", h.machine));
    if (dest_.page_size && *dest_.page_size != info_.walk.page_size)
      add(ExplainProblem::kError,
          fmt::format("page size {} in the stream, {} on the destination", info_.walk.page_size, *dest_.page_size),
          "machine type", "source and destination must be the same target with the same page size");
  }

  void ram() {
    if (!dest_.ram_blocks) return;
    std::map<std::string, std::uint64_t> local(dest_.ram_blocks->begin(), dest_.ram_blocks->end());
    std::set<std::string> seen;
    for (const auto& b : info_.walk.ram_blocks) {
      seen.insert(b.idstr);
      auto it = local.find(b.idstr);
      if (it == local.end()) {
        add(ExplainProblem::kError, diagnosis::unknown_ramblock_message(b.idstr), "RAM blocks",
            diagnosis::unknown_ramblock_cause(), "ram");
      } else if (it->second != b.used_length) {
        // A schema does not say which block is main RAM; every machine names it "...ram".
        const bool main_ram = b.idstr.size() >= 3 && b.idstr.compare(b.idstr.size() - 3, 3, "ram") == 0;
        add(ExplainProblem::kError, diagnosis::ram_size_message(b.idstr, b.used_length, it->second), "RAM blocks",
            diagnosis::ram_size_cause(main_ram), "ram");
      }
    }
    for (const auto& [name, len] : *dest_.ram_blocks)
      if (!seen.count(name))
        add(ExplainProblem::kNote,
            fmt::format("RAM block \"{}\" (0x{:x} bytes) exists on the destination only: it receives nothing and "
                        "keeps its initial contents",
                        name, len),
            "RAM blocks", "check that the destination does not have a device or memory backend the source lacked",
            "ram");
  }

  void sections() {
    std::set<std::pair<std::string, std::uint32_t>> sent;
    for (const auto& si : info_.walk.sections) {
      const auto& s = si.header;
      if (s.idstr == "ram" && !si.desc) continue;
      if (s.type != stream::kFull && s.type != stream::kStart) continue;
      if (!sent.insert({s.idstr, s.instance_id}).second) continue;
      section(si);
    }
    if (!dest_.sections) return;
    for (const auto& d : *dest_.sections)
      if (!sent.count({d.idstr, d.instance_id}) && d.idstr != "ram")
        add(ExplainProblem::kNote,
            fmt::format("no state received for '{}' instance {}: it keeps its reset state (QEMU says nothing here)",
                        d.idstr, d.instance_id),
            "device set or order",
            "a device the source did not have, or whose section the source skipped (its vmsd needed() was false)",
            d.idstr, d.instance_id);
  }

  void section(const stream::SectionInfo& si) {
    const auto& s = si.header;
    const bool own = s.idstr.rfind("lockstep/", 0) == 0;
    std::string vmsd = si.desc ? str(*si.desc, "vmsd_name") : std::string{};
    if (vmsd.empty()) {
      auto slash = s.idstr.rfind('/');
      vmsd = own || slash == std::string::npos ? s.idstr : s.idstr.substr(slash + 1);
    }
    bool known_instance = true;
    if (dest_.sections) {
      known_instance = false;
      bool same_idstr = false;
      for (const auto& d : *dest_.sections) {
        if (d.idstr == s.idstr && d.instance_id == s.instance_id) {
          known_instance = true;
          if (!d.vmsd_name.empty()) vmsd = d.vmsd_name;
        }
        if (d.idstr == s.idstr) same_idstr = true;
      }
      if (!known_instance && !own) {
        add(ExplainProblem::kError, diagnosis::unknown_section_message(s.idstr, s.instance_id), "device set or order",
            diagnosis::unknown_section_cause(same_idstr), s.idstr, s.instance_id, s.offset);
        return;
      }
    }
    if (own) return;  // lockstep/page-hashes, lockstep/run: read by lockstep's loader, not described by vmstate
    const Json* d = find_description(dest_.vmstate, vmsd);
    if (!d) {
      if (dest_.sections)
        add(ExplainProblem::kNote,
            fmt::format("'{}' instance {}: the destination schema has no description '{}'; its fields were not checked "
                        "(QEMU's -dump-vmstate omits the CPU)",
                        s.idstr, s.instance_id, vmsd),
            "versions", "compare with a schema that includes this device", s.idstr, s.instance_id, s.offset);
      else
        add(ExplainProblem::kError, diagnosis::unknown_section_message(s.idstr, s.instance_id), "device set or order",
            fmt::format("{} (no device with vmstate '{}')", diagnosis::unknown_section_cause(false), vmsd), s.idstr,
            s.instance_id, s.offset);
      return;
    }
    const std::uint64_t local_v = unum(*d, "version_id"), local_min = unum(*d, "minimum_version_id");
    if (s.version_id > local_v || s.version_id < local_min) {
      add(ExplainProblem::kError, diagnosis::version_message(vmsd, s.version_id, local_v, local_min), "versions",
          diagnosis::version_cause(s.version_id > local_v), s.idstr, s.instance_id, s.offset);
      return;
    }
    if (si.desc) body(s, *si.desc, *d, vmsd, s.version_id, 0);
  }

  // Fields the source sent (its vmdesc) against the fields the destination reads at that version.
  void body(const stream::SectionHeader& s, const Json& sent, const Json& local, const std::string& vmsd,
            std::uint64_t version, int depth) {
    if (depth > 32) return;
    const Json empty = Json::array();
    const Json& sent_fields = sent.contains("fields") && sent["fields"].is_array() ? sent["fields"] : empty;
    const Json& local_fields = local.contains("Fields") && local["Fields"].is_array() ? local["Fields"] : empty;
    std::vector<const Json*> expected;
    for (const auto& f : local_fields)
      if (unum(f, "version_id") <= version) expected.push_back(&f);
    std::size_t pos = 0;
    std::set<std::string> reported;
    for (const auto& f : sent_fields) {
      const std::string name = str(f, "name");
      if (!reported.insert(name).second) continue;  // "index" entries: one per element
      std::size_t k = pos;
      while (k < expected.size() && !same_field(name, str(*expected[k], "field"))) ++k;
      if (k == expected.size()) {
        add(ExplainProblem::kError,
            fmt::format("error while loading state for instance 0x{:x} of device '{}': the source sent field '{}' "
                        "({} bytes) that '{}' v{} on the destination does not read at this position",
                        s.instance_id, s.idstr, name, unum(f, "size"), vmsd, version),
            "field layout", diagnosis::layout_change_cause(s.idstr), s.idstr, s.instance_id, s.offset);
        return;  // QEMU would lose sync here: the rest of the body is misread
      }
      for (std::size_t m = pos; m < k; ++m) {
        const Json& skipped = *expected[m];
        const bool optional = stream::json_bool_or(skipped, "field_exists", false) || unum(skipped, "size") == 0 ||
                              skipped.contains("num");  // variable arrays may be empty and unlisted
        if (!optional) {
          add(ExplainProblem::kError,
              fmt::format("error while loading state for instance 0x{:x} of device '{}': the destination reads "
                          "field '{}' that the source did not send",
                          s.instance_id, s.idstr, str(skipped, "field")),
              "field layout", diagnosis::layout_change_cause(s.idstr), s.idstr, s.instance_id, s.offset);
          return;
        }
      }
      const Json& lf = *expected[k];
      pos = k + 1;
      const bool scalar = !f.contains("array_len") && !f.contains("index") && !f.contains("struct") &&
                          !lf.contains("num") && !lf.contains("Description");
      if (scalar && unum(f, "size") != unum(lf, "size"))
        add(ExplainProblem::kError,
            fmt::format("'{}' field '{}': {} bytes in the stream, the destination reads {}", s.idstr, name,
                        unum(f, "size"), unum(lf, "size")),
            "field layout", "the field's type changed: the rest of the section would be misread (QEMU reports a "
                            "missing section footer)",
            s.idstr, s.instance_id, s.offset);
      if (f.contains("struct") && lf.contains("Description"))
        body(s, f["struct"], lf["Description"], str(lf["Description"], "name"),
             unum(f["struct"], "version"), depth + 1);
    }
    // Subsections the source sent.
    if (!sent.contains("subsections") || !sent["subsections"].is_array()) return;
    const Json& local_subs = local.contains("Subsections") && local["Subsections"].is_array() ? local["Subsections"] : empty;
    for (const auto& sub : sent["subsections"]) {
      const std::string name = str(sub, "vmsd_name");
      const Json* ls = nullptr;
      for (const auto& l : local_subs)
        if (str(l, "name") == name) ls = &l;
      if (!ls) {
        add(ExplainProblem::kError,
            fmt::format("{} (QEMU 7.x says only: error while loading state for instance 0x{:x} of device '{}')",
                        diagnosis::unknown_subsection_message(name, vmsd), s.instance_id, s.idstr),
            "subsections", diagnosis::unknown_subsection_cause(), s.idstr, s.instance_id, s.offset);
        continue;
      }
      const std::uint64_t v = unum(sub, "version");
      if (v > unum(*ls, "version_id") || v < unum(*ls, "minimum_version_id"))
        add(ExplainProblem::kError,
            diagnosis::version_message(name, v, unum(*ls, "version_id"), unum(*ls, "minimum_version_id")), "versions",
            diagnosis::version_cause(v > unum(*ls, "version_id")), s.idstr, s.instance_id, s.offset);
      else
        body(s, sub, *ls, name, v, depth + 1);
    }
  }

 private:
  const StreamInfo& info_;
  const MachineSchema& dest_;
};

}  // namespace

std::size_t ExplainResult::errors() const {
  return static_cast<std::size_t>(std::count_if(problems.begin(), problems.end(), [](const ExplainProblem& p) {
    return p.severity == ExplainProblem::kError;
  }));
}

ExplainResult explain_load(const std::string& stream_path, const MachineSchema& dest) {
  const StreamInfo info = read_info(stream_path);
  ExplainResult r;
  if (info.error && info.walk.header.version == 0) {
    r.unreadable = *info.error;
    return r;
  }
  Explainer e(info, dest);
  e.machine();
  e.ram();
  e.sections();
  r.problems = std::move(e.out);
  if (info.error) {
    r.stream_damaged = true;
    ExplainProblem p;
    p.message = "load of migration failed: " + *info.error;
    p.cause = "damaged stream";
    p.advice = "the stream is truncated or corrupt (an interrupted transfer, a full disk, a copy cut short); the "
               "problems above concern what was read before the damage";
    if (info.walk.in_section) {
      p.section = info.walk.current.idstr;
      p.instance = info.walk.current.instance_id;
      p.offset = info.walk.current.offset;
    }
    r.problems.push_back(std::move(p));
  }
  if (!info.walk.has_vmdesc)
    r.problems.push_back(ExplainProblem{ExplainProblem::kNote,
                                        "the stream has no VM description: device fields could not be checked (" +
                                            info.walk.no_vmdesc_reason + ")",
                                        "field layout", "", "", 0, std::nullopt});
  return r;
}

Json explain_json(const ExplainResult& r) {
  Json j = Json::object();
  j["loadable"] = r.errors() == 0;
  j["errors"] = r.errors();
  Json ps = Json::array();
  for (const auto& p : r.problems) {
    Json e{{"severity", p.severity == ExplainProblem::kError ? "error" : "note"},
           {"message", p.message},
           {"cause", p.cause},
           {"advice", p.advice}};
    if (!p.section.empty()) {
      e["section"] = p.section;
      e["instance"] = p.instance;
    }
    if (p.offset) e["offset"] = *p.offset;
    ps.push_back(e);
  }
  j["problems"] = ps;
  return j;
}

std::string explain_text(const ExplainResult& r) {
  std::string out;
  for (const auto& p : r.problems) {
    out += fmt::format("{}: {}\n", p.severity == ExplainProblem::kError ? "error" : "note", p.message);
    out += fmt::format("    cause: {}{}\n", p.cause, p.offset ? fmt::format(" (section at stream offset {})", *p.offset) : "");
    if (!p.advice.empty()) out += fmt::format("    fix:   {}\n", p.advice);
  }
  out += r.errors() == 0 ? "the stream would load\n"
                         : fmt::format("the load would fail: {} problem{}\n", r.errors(), r.errors() == 1 ? "" : "s");
  return out;
}

}  // namespace lockstep::snapshot::inspect
