#pragma once
// Opening a stream file for the inspection tools: plain or zstd-compressed (recognised by its magic
// bytes, not its name), walked by the shared vmdesc walker. A compressed file cannot be searched from
// its end, so its VM description is found by a first decompressing pass that keeps only the tail.
#include <cstdint>
#include <memory>
#include <string>

#include "snapshot/stream/vmdesc_walker.h"
#include "snapshot/stream/zstd_source.h"

namespace lockstep::snapshot::inspect {

namespace stream = lockstep::snapshot::stream;
using stream::Json;

struct FileWalk {
  bool compressed = false;
  stream::WalkResult result;  // what was read, also when the walk failed
  Status status = Ok{};       // the walk's error, if any
};

// Walks the whole file. opts.allow_missing_vmdesc is honoured for compressed files too.
FileWalk walk_file(const std::string& path, stream::WalkOptions opts);

// A fresh source over the (decompressed) stream, positioned at `offset`.
Result<std::unique_ptr<stream::ByteSource>> open_at(const std::string& path, std::uint64_t offset);

// "Missing section footer for serial (at offset 1234, in section 'serial' instance 0, FULL at offset
// 1200)": the walker's message plus the section it was in when the walk stopped, if it does not say so.
std::string describe_failure(const stream::WalkResult& w, const Error& e);

}  // namespace lockstep::snapshot::inspect
