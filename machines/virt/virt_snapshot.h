#pragma once
// Whole-machine snapshots in QEMU's stream format: save a VirtMachine to a stream (file, .zst file,
// socket) and load one into a freshly built VirtMachine of the same configuration.
//
// Stream layout (ids in this order): header, configuration (the resolved machine version, e.g.
// "virt-2.0"), RAM START (block list) and END (every page: ZERO or PAGE), FULL lockstep/page-hashes,
// a FULL section per machine section (harts "cpu" 0..n-1, devices, "virt-board", "lockstep/console"),
// FULL lockstep/run last, EOF, vmdesc JSON.
//
// Loading checks as it goes and commits nothing to the machine's devices and harts until the stream
// has been read to its end and every check passed (RAM is written as it arrives; a machine whose
// load failed must not run: callers exit). Every error starts with QEMU's wording where QEMU has
// one and adds the offset, section, field, what the source's vmdesc says it wrote, what this
// destination expects and the likely cause.
#include <string>

#include "core/result.h"
#include "machines/virt/virt_machine.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::machines::virt {

struct SaveStats {
  u64 stream_bytes = 0;  // uncompressed
  u64 zero_pages = 0;
  u64 data_pages = 0;
  u64 digest = 0;  // VirtMachine::digest() of the saved machine (the stream's lockstep/run digest)
};

struct SaveOptions {
  // Every subsection on the wire, needed() or not: a stream of the whole state, for `snapshot diff`
  // of two machines where a needed() may hide a difference (`lockstep fuzz migration`'s reports).
  bool every_subsection = false;
};
Result<SaveStats> save_snapshot(const VirtMachine& m, snapshot::stream::ByteSink& out, const SaveOptions& opts = {});
// Written atomically (temporary file, fsync, rename); a name ending in ".zst" gets a zstd frame.
Result<SaveStats> save_snapshot_file(const VirtMachine& m, const std::string& path);

struct LoadOptions {
  // The source's vmdesc when it could be read first (seekable files): makes errors name what the
  // source wrote. Null otherwise.
  const Json* source_vmdesc = nullptr;
  // Compare every section's digest and the machine's with the source's (lockstep/run) and refuse
  // on a difference. Off only to look at what a refused load produced (`lockstep fuzz`'s report
  // loads unchecked, saves the result and diffs it against the source's stream).
  bool check_digests = true;
};

Status load_snapshot(VirtMachine& m, snapshot::stream::ByteSource& in, const LoadOptions& opts = {});
// A plain or zstd-compressed (by content: magic 28 B5 2F FD) snapshot file.
Status load_snapshot_file(VirtMachine& m, const std::string& path);

// QEMU's -dump-vmstate JSON for this machine: {"vmschkmachine": {"Name": version}, type: entry, ...}.
Json dump_vmstate(const VirtMachine& m);

// What this machine expects of an incoming stream, for `lockstep snapshot check/explain`:
// {"machine", "page_size", "ram_blocks": [{"name", "length"}], "sections": [{"idstr", "instance_id",
//  "vmsd_name"}], "sendable_subsections": {type: [names]}, "vmstate": dump_vmstate(m)}.
Json describe_destination(const VirtMachine& m);

}  // namespace lockstep::machines::virt
