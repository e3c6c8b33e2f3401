#include <doctest/doctest.h>

#include "machines/console/console_script.h"

using namespace lockstep::machines;

namespace {
void feed(ConsoleScript& s, const std::string& text) {
  for (char c : text) s.observe_output(c);
}
std::string drain(ConsoleScript& s) {
  std::string out;
  while (s.has_input()) {
    out.push_back(s.next_input());
    s.pop_input();
  }
  return out;
}
}  // namespace

TEST_CASE("send-on actions fire in order, each on output after the previous one") {
  ConsoleScript s;
  s.add_send("autoboot", " ");
  s.add_send("=> ", "virtio info\n");
  s.set_stop("=> ");
  feed(s, "=> too early ");  // the second action's pattern before the first matched: ignored
  CHECK(drain(s).empty());
  feed(s, "Hit any key to stop autoboot: 2");
  CHECK(drain(s) == " ");
  CHECK_FALSE(s.stop_requested());
  feed(s, "\n=> ");
  CHECK(drain(s) == "virtio info\n");
  CHECK_FALSE(s.stop_requested());  // the stop pattern must appear after the last send
  feed(s, "virtio info\nDevice 0: QEMU VirtIO Block Device\n=> ");
  CHECK(s.stop_requested());
}

TEST_CASE("a pattern split across many writes still matches") {
  ConsoleScript s;
  s.add_send("login:", "root\n");
  feed(s, std::string(10000, 'x'));
  feed(s, "log");
  feed(s, "in:");
  CHECK(drain(s) == "root\n");
  CHECK(s.pending_description().empty());
}

TEST_CASE("escapes") {
  CHECK(decode_escapes("a\\nb\\r\\t\\\\\\x41\\x7e").value() == "a\nb\r\t\\A~");
  CHECK_FALSE(decode_escapes("\\").ok());
  CHECK_FALSE(decode_escapes("\\q").ok());
  CHECK_FALSE(decode_escapes("\\x4").ok());
  CHECK_FALSE(decode_escapes("\\xzz").ok());
}
