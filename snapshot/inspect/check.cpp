#include "snapshot/inspect/check.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::inspect {

namespace {

// Fields and sections QEMU renamed without changing the wire format; vmstate-static-checker.py
// accepts these pairs as equal. Facts about QEMU's history, kept as data.
const std::map<std::string, std::vector<std::string>>& changed_field_names() {
  static const std::map<std::string, std::vector<std::string>> k = {
      {"apic", {"timer", "timer_expiry"}},
      {"e1000", {"dev", "parent_obj"}},
      {"ehci", {"dev", "pcidev"}},
      {"I440FX", {"dev", "parent_obj"}},
      {"ich9_ahci", {"card", "parent_obj"}},
      {"ich9-ahci", {"ahci", "ich9_ahci"}},
      {"ioh3420", {"PCIDevice", "PCIEDevice"}},
      {"ioh-3240-express-root-port",
       {"port.br.dev", "parent_obj.parent_obj.parent_obj", "port.br.dev.exp.aer_log",
        "parent_obj.parent_obj.parent_obj.exp.aer_log"}},
      {"cirrus_vga", {"hw_cursor_x", "vga.hw_cursor_x", "hw_cursor_y", "vga.hw_cursor_y"}},
      {"lsiscsi", {"dev", "parent_obj"}},
      {"mch", {"d", "parent_obj"}},
      {"pci_bridge", {"bridge.dev", "parent_obj", "bridge.dev.shpc", "shpc"}},
      {"pcnet", {"pci_dev", "parent_obj"}},
      {"PIIX3", {"pci_irq_levels", "pci_irq_levels_vmstate"}},
      {"piix4_pm",
       {"dev", "parent_obj", "pci0_status", "acpi_pci_hotplug.acpi_pcihp_pci_status[0x0]", "pm1a.sts",
        "ar.pm1.evt.sts", "pm1a.en", "ar.pm1.evt.en", "pm1_cnt.cnt", "ar.pm1.cnt.cnt", "tmr.timer", "ar.tmr.timer",
        "tmr.overflow_time", "ar.tmr.overflow_time", "gpe", "ar.gpe"}},
      {"rtl8139", {"dev", "parent_obj"}},
      {"qxl", {"num_surfaces", "ssd.num_surfaces"}},
      {"usb-ccid", {"abProtocolDataStructure", "abProtocolDataStructure.data"}},
      {"usb-host", {"dev", "parent_obj"}},
      {"usb-mouse", {"usb-ptr-queue", "HIDPointerEventQueue"}},
      {"usb-tablet", {"usb-ptr-queue", "HIDPointerEventQueue"}},
      {"vmware_vga", {"card", "parent_obj"}},
      {"vmware_vga_internal", {"depth", "new_depth"}},
      {"xhci", {"pci_dev", "parent_obj"}},
      {"x3130-upstream", {"PCIDevice", "PCIEDevice"}},
      {"xio3130-express-downstream-port",
       {"port.br.dev", "parent_obj.parent_obj.parent_obj", "port.br.dev.exp.aer_log",
        "parent_obj.parent_obj.parent_obj.exp.aer_log"}},
      {"xio3130-downstream", {"PCIDevice", "PCIEDevice"}},
      {"xio3130-express-upstream-port",
       {"br.dev", "parent_obj.parent_obj", "br.dev.exp.aer_log", "parent_obj.parent_obj.exp.aer_log"}},
      {"spapr_pci",
       {"dma_liobn[0]", "mig_liobn", "mem_win_addr", "mig_mem_win_addr", "mem_win_size", "mig_mem_win_size",
        "io_win_addr", "mig_io_win_addr", "io_win_size", "mig_io_win_size"}},
  };
  return k;
}

std::string changed_section_name(const std::string& sec) {
  static const std::pair<const char*, const char*> k[] = {{"ICH9 LPC", "ICH9-LPC"}, {"e1000-82540em", "e1000"}};
  for (const auto& [from, to] : k) {
    if (sec == from) return to;
    if (sec == to) return from;
  }
  return {};
}

std::string str(const Json& j, const char* key) { return stream::json_string_or(j, key); }
// Sizes, counts and versions; bounded so that sums and products of two stay within int64 (a schema
// is input: 1e300 or 2^63 must not overflow). Not an integer: 0, as the script's missing keys.
std::int64_t num(const Json& j, const char* key) {
  constexpr std::int64_t kMax = std::int64_t{1} << 31;
  const Json* v = stream::json_member(j, key);
  if (!v || !v->is_number_integer()) return 0;
  if (v->is_number_unsigned()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get<std::uint64_t>(), kMax));
  return std::clamp<std::int64_t>(v->get<std::int64_t>(), -kMax, kMax);
}

bool fields_match(const std::string& desc, const std::string& s, const std::string& d) {
  if (s == d) return true;
  const auto& k = changed_field_names();
  auto it = k.find(desc);
  if (it == k.end()) return false;
  auto has = [&](const std::string& n) { return std::find(it->second.begin(), it->second.end(), n) != it->second.end(); };
  return has(s) && has(d);
}

class Checker {
 public:
  explicit Checker(const MachineSchema& src) : src_(src) {}
  std::vector<CheckIssue> issues;

  void issue(CheckIssue::Severity sev, std::string sec, std::string desc, std::string field, std::string msg) {
    issues.push_back(CheckIssue{sev, std::move(sec), std::move(desc), std::move(field), std::move(msg)});
  }

  void check_version(const Json& s, const Json& d, const std::string& sec, const std::string& desc, bool has_desc) {
    const std::string who = has_desc ? fmt::format("Section \"{}\" Description \"{}\":", sec, desc)
                                     : fmt::format("Section \"{}\"", sec);
    if (num(s, "version_id") > num(d, "version_id"))
      issue(CheckIssue::kError, sec, desc, {},
            fmt::format("{} version error: {} > {}", who, num(s, "version_id"), num(d, "version_id")));
    if (!d.is_object() || !d.contains("minimum_version_id")) return;
    if (num(s, "version_id") < num(d, "minimum_version_id"))
      issue(CheckIssue::kError, sec, desc, {},
            fmt::format("{} minimum version error: {} < {}", who, num(s, "version_id"), num(d, "minimum_version_id")));
  }

  void check_size(const Json& s, const Json& d, const std::string& sec, const std::string& desc, const std::string& field) {
    if (num(s, "size") != num(d, "size"))
      issue(CheckIssue::kError, sec, desc, field,
            fmt::format("Section \"{}\" Description \"{}\" Field \"{}\" size mismatch: {} , {}", sec, desc, field,
                        num(s, "size"), num(d, "size")));
  }

  static bool exists_in_substruct(const Json& fields, const std::string& item) {
    if (!fields.is_object() || !fields.contains("Description")) return false;
    const Json& desc = fields["Description"];
    if (!desc.is_object() || !desc.contains("Fields") || !desc["Fields"].is_array() || desc["Fields"].empty())
      return false;
    return fields_match(str(desc, "name"), str(desc["Fields"][0], "field"), item);
  }

  static std::int64_t size_total(const Json& e) {
    return e.is_object() && e.contains("num") ? num(e, "size") * num(e, "num") : num(e, "size");
  }

  // vmstate-static-checker.py's check_fields: walks both field lists, stepping into a substruct one
  // side added or removed, and over "unused" padding that covers the same bytes.
  void check_fields(const Json& src_fields, const Json& dest_fields, const std::string& desc, const std::string& sec,
                    int depth) {
    struct Iter {
      const Json* arr;
      std::size_t i = 0;
      const Json* next() { return arr->is_array() && i < arr->size() ? &(*arr)[i++] : nullptr; }
    };
    Iter s_iter{&src_fields}, d_iter{&dest_fields};
    std::vector<Iter> s_stack, d_stack;
    bool advance_src = true, advance_dest = true;
    std::int64_t unused = 0;
    const Json* s_item = nullptr;
    const Json* d_item = nullptr;
    static const Json kEmpty = Json::object();
    for (std::size_t guard = 0; guard < 1000000; ++guard) {
      if (advance_src) {
        const Json* n = s_iter.next();
        if (!n) {
          if (s_stack.empty()) break;
          s_iter = s_stack.back();
          s_stack.pop_back();
          continue;
        }
        s_item = n;
      } else if (unused == 0) {
        advance_src = true;
      }
      if (advance_dest) {
        const Json* n = d_iter.next();
        if (!n) {
          if (d_stack.empty()) {
            const std::string f = str(s_item ? *s_item : kEmpty, "field");
            issue(CheckIssue::kError, sec, desc, f,
                  fmt::format("Section \"{}\", Description \"{}\": expected field \"{}\", while dest has no further "
                              "fields",
                              sec, desc, f));
            break;
          }
          d_iter = d_stack.back();
          d_stack.pop_back();
          advance_src = false;
          continue;
        }
        d_item = n;
      } else if (unused == 0) {
        advance_dest = true;
      }
      if (!s_item || !d_item) break;
      const std::string s_field = str(*s_item, "field"), d_field = str(*d_item, "field");
      if (unused != 0) {
        if (!advance_dest) {
          unused -= num(*s_item, "size");
          if (unused == 0) {
            advance_dest = true;
            continue;
          }
          if (unused < 0) {
            issue(CheckIssue::kError, sec, desc, s_field,
                  fmt::format("Section \"{}\", Description \"{}\": unused size mismatch near \"{}\"", sec, desc, s_field));
            break;
          }
          continue;
        }
        if (!advance_src) {
          unused -= num(*d_item, "size");
          if (unused == 0) {
            advance_src = true;
            continue;
          }
          if (unused < 0) {
            issue(CheckIssue::kError, sec, desc, d_field,
                  fmt::format("Section \"{}\", Description \"{}\": unused size mismatch near \"{}\"", sec, desc, d_field));
            break;
          }
          continue;
        }
      }
      if (!fields_match(desc, s_field, d_field)) {
        if (exists_in_substruct(*d_item, s_field)) {
          d_stack.push_back(d_iter);
          d_iter = Iter{&(*d_item)["Description"]["Fields"]};
          advance_src = false;
          continue;
        }
        if (exists_in_substruct(*s_item, d_field)) {
          s_stack.push_back(s_iter);
          s_iter = Iter{&(*s_item)["Description"]["Fields"]};
          advance_dest = false;
          continue;
        }
        if (s_field == "unused" || d_field == "unused") {
          const std::int64_t s_size = size_total(*s_item), d_size = size_total(*d_item);
          if (s_size == d_size) continue;
          if (d_field == "unused") {
            advance_dest = false;
            unused = d_size - s_size;
            continue;
          }
          advance_src = false;
          unused = s_size - d_size;
          continue;
        }
        issue(CheckIssue::kError, sec, desc, s_field,
              fmt::format("Section \"{}\", Description \"{}\": expected field \"{}\", got \"{}\"; skipping rest", sec,
                          desc, s_field, d_field));
        break;
      }
      check_version(*s_item, *d_item, sec, desc, true);
      if (!s_item->contains("Description")) check_size(*s_item, *d_item, sec, desc, s_field);
      check_description_in_list(*s_item, *d_item, sec, desc, depth);
    }
  }

  void check_subsections(const Json& src_sub, const Json& dest_sub, const std::string& desc, const std::string& sec,
                         int depth) {
    if (!src_sub.is_array()) return;
    for (const auto& s_item : src_sub) {
      bool found = false;
      if (dest_sub.is_array())
        for (const auto& d_item : dest_sub) {
          if (str(s_item, "name") != str(d_item, "name")) continue;
          found = true;
          check_descriptions(s_item, d_item, sec, depth + 1);
        }
      if (found) continue;
      const std::string name = str(s_item, "name");
      std::string msg = fmt::format("Section \"{}\", Description \"{}\": Subsection \"{}\" not found", sec, desc, name);
      CheckIssue::Severity sev = CheckIssue::kError;
      if (src_.sendable_subsections) {
        auto it = src_.sendable_subsections->find(sec);
        const bool sendable = it != src_.sendable_subsections->end() && it->second.count(name);
        if (sendable) {
          msg += fmt::format(" -- and {} can send it (its needed() can be true)", src_.origin);
        } else {
          sev = CheckIssue::kNote;
          msg += fmt::format(" -- but {} never sends it (needed() is false under its compat properties)", src_.origin);
        }
      }
      issue(sev, sec, desc, name, msg);
    }
  }

  void check_description_in_list(const Json& s_item, const Json& d_item, const std::string& sec,
                                 const std::string& desc, int depth) {
    if (!s_item.contains("Description")) return;
    if (!d_item.contains("Description")) {
      const std::string f = str(s_item, "field");
      issue(CheckIssue::kError, sec, desc, f,
            fmt::format("Section \"{}\", Description \"{}\", Field \"{}\": missing description", sec, desc, f));
      return;
    }
    check_descriptions(s_item["Description"], d_item["Description"], sec, depth + 1);
  }

  void check_descriptions(const Json& src_desc, const Json& dest_desc, const std::string& sec, int depth) {
    if (depth > 64) {
      issue(CheckIssue::kError, sec, str(src_desc, "name"), {},
            fmt::format("Section \"{}\": descriptions nest deeper than 64 levels", sec));
      return;
    }
    const std::string name = str(src_desc, "name");
    check_version(src_desc, dest_desc, sec, name, true);
    if (!fields_match(sec, name, str(dest_desc, "name"))) {
      issue(CheckIssue::kError, sec, name, {},
            fmt::format("Section \"{}\": Description \"{}\" missing, got \"{}\" instead; skipping", sec, name,
                        str(dest_desc, "name")));
      return;
    }
    if (!src_desc.is_object()) return;
    for (auto it = src_desc.begin(); it != src_desc.end(); ++it) {
      const std::string& f = it.key();
      if (!dest_desc.contains(f)) {
        issue(CheckIssue::kError, sec, name, f,
              fmt::format("Section \"{}\" Description \"{}\": Entry \"{}\" missing", sec, name, f));
        continue;
      }
      if (f == "Fields") check_fields(it.value(), dest_desc[f], name, sec, depth);
      if (f == "Subsections") check_subsections(it.value(), dest_desc[f], name, sec, depth);
    }
  }

 private:
  const MachineSchema& src_;
};

}  // namespace

std::size_t CheckResult::errors() const {
  return static_cast<std::size_t>(
      std::count_if(issues.begin(), issues.end(), [](const CheckIssue& i) { return i.severity == CheckIssue::kError; }));
}

CheckResult check_schemas(const MachineSchema& src, const MachineSchema& dst) {
  Checker c(src);
  const Json& s_all = src.vmstate;
  const Json& d_all = dst.vmstate;
  for (auto it = s_all.begin(); it != s_all.end(); ++it) {
    const std::string& sec = it.key();
    std::string dest_sec = sec;
    if (!d_all.contains(dest_sec)) {
      dest_sec = changed_section_name(sec);
      if (dest_sec.empty() || !d_all.contains(dest_sec)) {
        c.issue(CheckIssue::kError, sec, {}, {}, fmt::format("Section \"{}\" does not exist in dest", sec));
        continue;
      }
    }
    const Json& s = it.value();
    const Json& d = d_all[dest_sec];
    if (sec == "vmschkmachine") {
      // vmstate-static-checker.py only warns, but a load compares the configuration section's
      // machine type first and refuses any other (QEMU's and lockstep's loaders alike): the device
      // checks below still run, to show what else differs.
#ifdef LOCKSTEP_PLANT_CHECK_MACHINE_TYPE_WARNS
      // Planted bug, defined only by a test build (tests/planted): the checker's old warning.
      constexpr auto kMachineTypeSeverity = CheckIssue::kWarning;
#else
      constexpr auto kMachineTypeSeverity = CheckIssue::kError;
#endif
      if (str(s, "Name") != str(d, "Name"))
        c.issue(kMachineTypeSeverity, sec, {}, {},
                fmt::format("Warning: checking incompatible machine types: \"{}\", \"{}\" (a load refuses it: "
                            "Machine type received is '{}' and local is '{}')",
                            str(s, "Name"), str(d, "Name"), str(s, "Name"), str(d, "Name")));
      continue;
    }
    if (!s.is_object() || !d.is_object()) {
      c.issue(CheckIssue::kError, sec, {}, {}, fmt::format("Section \"{}\": not an object in the schema", sec));
      continue;
    }
    c.check_version(s, d, sec, {}, false);
    for (auto e = s.begin(); e != s.end(); ++e) {
      if (!d.contains(e.key())) {
        c.issue(CheckIssue::kError, sec, {}, e.key(), fmt::format("Section \"{}\": Entry \"{}\" missing", sec, e.key()));
        continue;
      }
      if (e.key() == "Description") c.check_descriptions(e.value(), d[e.key()], sec, 0);
    }
  }
  return CheckResult{std::move(c.issues)};
}

Json check_json(const CheckResult& r) {
  Json j = Json::object();
  j["compatible"] = r.errors() == 0;
  j["errors"] = r.errors();
  Json issues = Json::array();
  static constexpr const char* kSeverity[] = {"error", "warning", "note"};
  for (const auto& i : r.issues)
    issues.push_back(Json{{"severity", kSeverity[i.severity]},
                          {"section", i.section},
                          {"description", i.description},
                          {"field", i.field},
                          {"message", i.message}});
  j["issues"] = issues;
  return j;
}

std::string check_text(const CheckResult& r) {
  std::string out;
  for (const auto& i : r.issues) out += (i.severity == CheckIssue::kNote ? "note: " : "") + i.message + "\n";
  out += r.errors() == 0 ? "compatible\n" : fmt::format("incompatible: {} error{}\n", r.errors(), r.errors() == 1 ? "" : "s");
  return out;
}

}  // namespace lockstep::snapshot::inspect
