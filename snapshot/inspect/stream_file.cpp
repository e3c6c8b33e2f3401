#include "snapshot/inspect/stream_file.h"

#include <fmt/format.h>

namespace lockstep::snapshot::inspect {

FileWalk walk_file(const std::string& path, stream::WalkOptions opts) {
  FileWalk fw;
  auto opened = stream::open_stream_file(path);
  if (!opened) {
    fw.status = opened.error();
    return fw;
  }
  fw.compressed = opened.value().compressed;
  Json located;
  std::string locate_error;
  const bool caller_allows_missing = opts.allow_missing_vmdesc;
  if (fw.compressed && !opts.vmdesc) {
    // Most VM descriptions are well under 1 MiB: try a small tail first, the full limit only if needed.
    auto desc = stream::locate_vmdesc_by_reading(*opened.value().source, std::size_t{1} << 20);
    if (!desc && opts.limits.max_vmdesc_bytes > (std::size_t{1} << 20)) {
      auto again = stream::open_stream_file(path);
      if (again) desc = stream::locate_vmdesc_by_reading(*again.value().source, opts.limits.max_vmdesc_bytes);
    }
    if (desc) {
      located = std::move(desc.value());
      opts.vmdesc = &located;
    } else {
      locate_error = desc.error().message;
      // Walk anyway: a damaged stream then fails where it is damaged, not at "no VM description".
      opts.allow_missing_vmdesc = true;
    }
    auto fresh = stream::open_stream_file(path);
    if (!fresh) {
      fw.status = fresh.error();
      return fw;
    }
    opened = std::move(fresh);
  }
  fw.status = stream::walk_stream_into(*opened.value().source, fw.result, opts);
  if (!locate_error.empty()) {
    fw.result.no_vmdesc_reason = locate_error;
    // The caller did not accept a stream without a VM description: a walk that got through is still
    // an error, with the reason the description was not found.
    if (fw.status.ok() && !caller_allows_missing) fw.status = Error{locate_error};
  }
  return fw;
}

Result<std::unique_ptr<stream::ByteSource>> open_at(const std::string& path, std::uint64_t offset) {
  LS_TRY_ASSIGN(auto opened, stream::open_stream_file(path));
  LS_TRY(opened.source->skip(offset));
  return std::move(opened.source);
}

std::string describe_failure(const stream::WalkResult& w, const Error& e) {
  if (!w.in_section) return e.message;
  const auto& s = w.current;
  const std::string where = fmt::format("'{}' instance {}", s.idstr, s.instance_id);
  if (e.message.find("'" + s.idstr + "'") != std::string::npos) return e.message;
  return fmt::format("{} (in section {}, {} at offset {})", e.message, where, stream::section_type_name(s.type),
                     s.offset);
}

}  // namespace lockstep::snapshot::inspect
