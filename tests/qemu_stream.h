#pragma once
// Writes a real QEMU migration stream at test time: QEMU with the HMP monitor on stdin,
// (optionally a shell wait), `migrate "exec:cat > OUT"`, quit. Never a committed QEMU file.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace lockstep::testing {

inline std::string write_qemu_stream(const std::string& qemu, const std::string& args, const std::string& out,
                                     const char* wait = "") {
  const std::string log = out + ".log";
  std::remove(out.c_str());
  const std::string cmd = fmt::format(
      "({} printf 'migrate \"exec:cat > {}\"\\nquit\\n') | timeout 60 {} {} -display none -monitor stdio > {} 2>&1",
      wait, out, qemu, args, log);
  const int rc = std::system(cmd.c_str());
  INFO("command: " << cmd);
  REQUIRE(rc == 0);
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  REQUIRE(st.st_size > 0);
  std::remove(log.c_str());
  return out;
}

}  // namespace lockstep::testing
