#include "snapshot/descriptions/run_record.h"

namespace lockstep::snapshot {

namespace {
constexpr vm::Field<RunRecord> kFields[] = {
    vm::u64<&RunRecord::icount>("icount"),
    vm::u64<&RunRecord::virtual_ns>("virtual_ns"),
    vm::u64<&RunRecord::input_position>("input_position"),
    vm::u64<&RunRecord::digest>("digest"),
    vm::u32<&RunRecord::section_count>("section_count"),
    vm::varray<&RunRecord::section_digests, &RunRecord::section_count>("section_digests"),
};
static_assert(sizeof(RunRecord) == 4 * 8 + 8 + 64 * 8, "a new RunRecord member needs a field above");
constexpr vm::Section<RunRecord> kRunRecord{.name = "lockstep/run", .version = 1, .min_version = 1, .fields = kFields};
}  // namespace

const vm::Section<RunRecord>& run_record_vmstate() { return kRunRecord; }

}  // namespace lockstep::snapshot
