#pragma once
// One migratable piece of the board (a hart, a device, the board's own state) as the snapshot code
// sees it: an idstr and instance id, the vmstate description, and how to read and replace the
// state. Loading is staged: stage() loads into a copy, commit() hands the copy to the owner, so a
// refused stream leaves the machine untouched.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "snapshot/vmstate.h"
#include "snapshot/vmstate_fields.h"
#include "snapshot/wire.h"

namespace lockstep::machines::virt {

using Json = snapshot::vm::Json;

// How this machine version writes one section (from its Compat, through the board table): the
// version_id it is written with and the subsections its destinations would not know.
struct WireOptions {
  int version = 0;  // 0: the description's own version
  std::vector<std::string_view> withheld_subsections;
};

class MachineSection {
 public:
  MachineSection(std::string idstr, std::uint32_t instance, std::string type_name)
      : idstr_(std::move(idstr)), instance_(instance), type_name_(std::move(type_name)) {}
  virtual ~MachineSection() = default;

  const std::string& idstr() const { return idstr_; }
  std::uint32_t instance() const { return instance_; }
  // QEMU's -dump-vmstate key (the device's QOM type name).
  const std::string& type_name() const { return type_name_; }

  virtual int version() const = 0;       // the description's version (what this binary loads)
  virtual int min_version() const = 0;
  virtual int wire_version() const = 0;  // what this machine version writes (compat property)
  // Body bytes at the wire version, optionally with the vmdesc part of the entry.
  virtual Status save(snapshot::Writer& w, Json* vmdesc) const = 0;
  // Body bytes at the description's own version: every field (the digest's input).
  virtual Status save_full(snapshot::Writer& w) const = 0;
  // save() with every subsection, needed or not: the whole state (for comparisons, never the wire).
  virtual Status save_every_subsection(snapshot::Writer& w, Json* vmdesc) const = 0;
  virtual Status stage(snapshot::Reader& r, int version_id) = 0;
  virtual void commit() = 0;
  virtual void discard() = 0;
  virtual bool staged() const = 0;
  virtual Json dump_vmstate_entry() const = 0;
  // The fields this destination would read for the given version (for error messages).
  virtual std::string expected_fields(int version_id) const = 0;
  // The vmdesc part ({"vmsd_name","version","fields"[,"subsections"]}) this side would write at
  // version_id for its current state: compared with the source's to name the first difference.
  virtual Json vmdesc_at(int version_id) const = 0;
  // The names of the subsections this destination knows (at the top level).
  virtual std::vector<std::string> subsection_names() const = 0;
  // The subsections this machine version can ever write: not folded away by the wire version and
  // not switched off by a compat property (whether needed() is true depends on the state).
  virtual std::vector<std::string> sendable_subsections() const = 0;
  virtual std::string vmsd_name() const = 0;

 private:
  std::string idstr_;
  std::uint32_t instance_;
  std::string type_name_;
};

template <class S>
class DescribedSection final : public MachineSection {
 public:
  DescribedSection(std::string idstr, std::uint32_t instance, std::string type_name,
                   const snapshot::vm::Section<S>& desc, std::function<const S&()> get,
                   std::function<void(const S&)> restore, WireOptions wire = {})
      : MachineSection(std::move(idstr), instance, std::move(type_name)),
        desc_(desc),
        get_(std::move(get)),
        restore_(std::move(restore)),
        wire_version_(wire.version ? wire.version : desc.version),
        withheld_(std::move(wire.withheld_subsections)) {}

  int version() const override { return desc_.version; }
  int min_version() const override { return desc_.min_version; }
  int wire_version() const override { return wire_version_; }
  Status save(snapshot::Writer& w, Json* vmdesc) const override {
    return snapshot::vm::save(desc_, get_(), w, vmdesc,
                              snapshot::vm::SaveOptions{.version = wire_version_, .withheld_subsections = withheld_});
  }
  // A withheld subsection stays out of the digest too: its state does not migrate on this machine
  // version, so a migrated run and a straight one must not differ by it.
  Status save_full(snapshot::Writer& w) const override {
    return snapshot::vm::save(desc_, get_(), w, nullptr, snapshot::vm::SaveOptions{.withheld_subsections = withheld_});
  }
  Status save_every_subsection(snapshot::Writer& w, Json* vmdesc) const override {
    return snapshot::vm::save(desc_, get_(), w, vmdesc,
                              snapshot::vm::SaveOptions{.version = wire_version_,
                                                        .every_subsection = true,
                                                        .withheld_subsections = withheld_});
  }
  Status stage(snapshot::Reader& r, int version_id) override {
    S copy = get_();
    if (Status st = snapshot::vm::load(desc_, copy, r, version_id); !st) return st;
    staged_ = std::move(copy);
    return Ok{};
  }
  void commit() override {
    if (staged_) restore_(*staged_);
    staged_.reset();
  }
  void discard() override { staged_.reset(); }
  bool staged() const override { return staged_.has_value(); }
  // The schema of the release this machine version plays: its section version is the wire version,
  // and a subsection its compat properties switch off is one that release did not have.
  Json dump_vmstate_entry() const override {
    Json e = snapshot::vm::dump_vmstate_entry(desc_, type_name());
    e["version_id"] = wire_version_;
    e["Description"]["version_id"] = wire_version_;
    if (e["Description"].contains("Subsections")) {
      Json kept = Json::array();
      for (const auto* sub : desc_.subsections)
        if ((!sub->enabled || sub->enabled(get_())) && !withheld(sub->name))
          for (const auto& j : e["Description"]["Subsections"])
            if (j.value("name", "") == sub->name) kept.push_back(j);
      e["Description"]["Subsections"] = std::move(kept);
    }
    return e;
  }
  Json vmdesc_at(int version_id) const override {
    snapshot::Writer scratch;
    Json desc;
    if (!snapshot::vm::save(desc_, get_(), scratch, &desc,
                            snapshot::vm::SaveOptions{.version = version_id, .withheld_subsections = withheld_}))
      return Json();
    return desc;
  }
  std::vector<std::string> subsection_names() const override {
    std::vector<std::string> out;
    for (const auto* sub : desc_.subsections) out.emplace_back(sub->name);
    return out;
  }
  std::vector<std::string> sendable_subsections() const override {
    std::vector<std::string> out;
    for (const auto* sub : desc_.subsections) {
      if (sub->until_version && wire_version_ > sub->until_version) continue;
      if (sub->enabled && !sub->enabled(get_())) continue;
      if (withheld(sub->name)) continue;
      out.emplace_back(sub->name);
    }
    return out;
  }
  std::string vmsd_name() const override { return std::string(desc_.name); }
  std::string expected_fields(int version_id) const override {
    return snapshot::vm::field_list(desc_, get_(), version_id);
  }

 private:
  bool withheld(std::string_view subsection) const {
    for (std::string_view name : withheld_)
      if (name == subsection) return true;
    return false;
  }

  const snapshot::vm::Section<S>& desc_;
  std::function<const S&()> get_;
  std::function<void(const S&)> restore_;
  int wire_version_;
  std::vector<std::string_view> withheld_;  // names from the descriptions: static storage
  std::optional<S> staged_;
};

// The section of a device whose migratable state is one State struct (state() / restore_state()),
// described by Description (a function returning its vm::Section): what board table rows use.
template <class T, auto Description>
std::unique_ptr<MachineSection> device_section(T& dev, std::string idstr, std::uint32_t instance,
                                               std::string type_name, WireOptions wire) {
  using S = std::remove_cvref_t<decltype(dev.state())>;
  T* d = &dev;
  return std::make_unique<DescribedSection<S>>(
      std::move(idstr), instance, std::move(type_name), Description(), [d]() -> const S& { return d->state(); },
      [d](const S& s) { d->restore_state(s); }, std::move(wire));
}

}  // namespace lockstep::machines::virt
