// The protocol session over a fake target: what each packet turns into, and the replies.
#include <doctest/doctest.h>

#include <random>

#include <fmt/format.h>

#include "replay/gdb/riscv_registers.h"
#include "replay/gdb/rsp_packet.h"
#include "replay/gdb/rsp_session.h"

namespace gdb = lockstep::replay::gdb;
using gdb::PointKind;
using gdb::Resume;
using gdb::StopReply;
using lockstep::Error;
using lockstep::Ok;
using lockstep::Result;
using lockstep::Status;

namespace {

struct FakeTarget final : gdb::DebugTarget {
  unsigned harts = 2;
  std::string xml = std::string(10000, 'x') + "</target>";
  std::vector<std::string> calls;
  StopReply next_stop;

  unsigned hart_count() const override { return harts; }
  const std::string& target_xml() const override { return xml; }
  unsigned g_register_count() const override { return 33; }
  Result<std::vector<std::uint8_t>> read_register(unsigned hart, unsigned regnum) override {
    if (regnum > 100) return Error{"no such register"};
    return std::vector<std::uint8_t>(8, static_cast<std::uint8_t>(hart * 16 + regnum % 16));
  }
  Status write_register(unsigned hart, unsigned regnum, std::span<const std::uint8_t> v) override {
    calls.push_back("P" + std::to_string(hart) + ":" + std::to_string(regnum) + "=" + gdb::to_hex(v));
    return Ok{};
  }
  Result<std::vector<std::uint8_t>> read_memory(unsigned, std::uint64_t addr, std::size_t len) override {
    if (addr >= 0x1000) return Error{"unmapped"};
    std::vector<std::uint8_t> v(std::min<std::uint64_t>(len, 0x1000 - addr));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(addr + i);
    return v;
  }
  Status write_memory(unsigned, std::uint64_t addr, std::span<const std::uint8_t> bytes) override {
    calls.push_back(fmt_call("M", addr, bytes.size()));
    return Ok{};
  }
  Status insert_point(PointKind k, std::uint64_t addr, std::uint64_t len) override {
    calls.push_back(fmt_call("Z" + std::to_string(static_cast<int>(k)), addr, len));
    return Ok{};
  }
  Status remove_point(PointKind k, std::uint64_t addr, std::uint64_t len) override {
    calls.push_back(fmt_call("z" + std::to_string(static_cast<int>(k)), addr, len));
    return Ok{};
  }
  StopReply resume(Resume how, unsigned hart, const std::function<bool()>&) override {
    static const char* kNames[] = {"continue", "step", "reverse-continue", "reverse-step"};
    calls.push_back(std::string(kNames[static_cast<int>(how)]) + " " + std::to_string(hart));
    return next_stop;
  }
  StopReply last_stop() const override { return StopReply{}; }
  Result<std::string> monitor(std::string_view command) override {
    if (command == "fail") return Error{"it failed"};
    return "ran " + std::string(command) + "\n";
  }
  std::string thread_info(unsigned hart) override { return "hart " + std::to_string(hart); }
  void detached() override { calls.push_back("detached"); }

  static std::string fmt_call(const std::string& what, std::uint64_t a, std::uint64_t b) {
    return what + " " + std::to_string(a) + " " + std::to_string(b);
  }
};

struct Harness {
  FakeTarget target;
  std::vector<std::string> replies;
  bool no_ack = false;
  gdb::RspSession session{target, gdb::RspSession::Wire{
                                      [this](std::string_view r) {
                                        replies.emplace_back(r);
                                        return Status(Ok{});
                                      },
                                      [] { return false; },
                                      [this] { no_ack = true; },
                                  }};
  // The reply (the last packet sent) to `packet`.
  std::string ask(std::string_view packet, gdb::RspSession::Next* next = nullptr) {
    replies.clear();
    auto r = session.handle(packet);
    REQUIRE(r.ok());
    if (next) *next = r.value();
    return replies.empty() ? std::string("<none>") : replies.back();
  }
};

}  // namespace

TEST_CASE("session: qSupported announces reverse execution and the target description") {
  Harness h;
  const std::string r = h.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  CHECK(r.find("ReverseStep+") != std::string::npos);
  CHECK(r.find("ReverseContinue+") != std::string::npos);
  CHECK(r.find("qXfer:features:read+") != std::string::npos);
  CHECK(r.find("PacketSize=4000") != std::string::npos);
  CHECK(h.ask("QStartNoAckMode") == "OK");
  CHECK(h.no_ack);
}

TEST_CASE("session: target.xml comes in pieces, 'l' on the last") {
  Harness h;
  std::string xml;
  for (std::uint64_t off = 0;;) {
    const std::string r = h.ask(fmt::format("qXfer:features:read:target.xml:{:x},800", off));
    REQUIRE((r[0] == 'm' || r[0] == 'l'));
    xml += r.substr(1);
    off += r.size() - 1;
    if (r[0] == 'l') break;
  }
  CHECK(xml == h.target.xml);
  CHECK(h.ask("qXfer:features:read:other.xml:0,10") == "E00");
  CHECK(h.ask("qXfer:features:read:target.xml:zz,10") == "E01");
  CHECK(h.ask("qXfer:features:read:target.xml:ffffff,10") == "E01");
}

TEST_CASE("session: registers, g and p, on the thread Hg selects") {
  Harness h;
  const std::string g = h.ask("g");
  CHECK(g.size() == 33 * 16);
  CHECK(g.substr(0, 16) == "0000000000000000");
  CHECK(h.ask("Hg2") == "OK");
  CHECK(h.ask("p1") == "1111111111111111");
  CHECK(h.ask("p65") == "E01");  // the fake has no register 0x65
  CHECK(h.ask("pzz") == "E01");
  CHECK(h.ask("Hg3") == "E01");  // two harts
  CHECK(h.ask("Hgq") == "E01");
  CHECK(h.ask("Hc-1") == "OK");
  CHECK(h.ask("P20=0102030405060708") == "OK");
  CHECK(h.target.calls.back() == "P1:32=0102030405060708");
  CHECK(h.ask("P20=01020") == "E01");
  CHECK(h.ask("G0011") == "E01");
}

TEST_CASE("session: memory reads are bounded; bad hex and lengths get errors") {
  Harness h;
  CHECK(h.ask("m10,4") == "10111213");
  CHECK(h.ask("mffe,8") == "feff");  // a partial read: what could be read
  CHECK(h.ask("m2000,4") == "E0e");
  CHECK(h.ask("m0,100000") == "E01");  // more than a reply can carry
  CHECK(h.ask("m0") == "E01");
  CHECK(h.ask("M10,2:abcd") == "OK");
  CHECK(h.ask("M10,3:abcd") == "E01");
  CHECK(h.ask("M10,2:abzz") == "E01");
}

TEST_CASE("session: breakpoints and watchpoints") {
  Harness h;
  CHECK(h.ask("Z0,80000000,4") == "OK");
  CHECK(h.target.calls.back() == "Z0 2147483648 4");
  CHECK(h.ask("Z2,1000,8;X1,0") == "OK");  // conditions are ignored (not announced)
  CHECK(h.target.calls.back() == "Z2 4096 8");
  CHECK(h.ask("z4,1000,8") == "OK");
  CHECK(h.ask("Z9,0,1") == "");  // unsupported type
  CHECK(h.ask("Z0,zz,4") == "E01");
}

TEST_CASE("session: resume packets, stop replies, threads") {
  Harness h;
  h.target.next_stop = StopReply{StopReply::Kind::SwBreak, 5, 1, 0, 0, {}};
  CHECK(h.ask("c") == "T05swbreak:;thread:2;");
  CHECK(h.target.calls.back() == "continue 0");
  CHECK(h.ask("qC") == "QC2");  // the stopped thread becomes current
  h.target.next_stop = StopReply{StopReply::Kind::Signal, 5, 1, 0, 0, {}};
  CHECK(h.ask("vCont;s:2;c") == "T05thread:2;");
  CHECK(h.target.calls.back() == "step 1");
  CHECK(h.ask("vCont;c") == "T05thread:2;");
  CHECK(h.ask("vCont?") == "vCont;c;C;s;S");
  CHECK(h.ask("vCont;x") == "E01");
  CHECK(h.ask("vCont;s:9") == "E01");
  h.target.next_stop = StopReply{StopReply::Kind::Watch, 5, 0, 0x1234, 0, {}};
  CHECK(h.ask("bc") == "T05watch:1234;thread:1;");
  CHECK(h.target.calls.back() == "reverse-continue 1");
  h.target.next_stop = StopReply{StopReply::Kind::HistoryBegin, 5, 0, 0, 0, {}};
  CHECK(h.ask("bs") == "T05replaylog:begin;thread:1;");
  CHECK(h.target.calls.back() == "reverse-step 0");
  h.target.next_stop = StopReply{StopReply::Kind::Error, 5, 0, 0, 0, "cannot"};
  CHECK(h.ask("bs") == "E01");
  CHECK(h.replies.front() == "O" + gdb::to_hex("cannot\n"));
  h.target.next_stop = StopReply{StopReply::Kind::Exited, 5, 0, 0, 3, {}};
  gdb::RspSession::Next next;
  CHECK(h.ask("c", &next) == "W03");
  CHECK(next == gdb::RspSession::Next::Exited);
  CHECK(h.ask("qfThreadInfo") == "m1,2");
  CHECK(h.ask("qsThreadInfo") == "l");
  CHECK(h.ask("T2") == "OK");
  CHECK(h.ask("T3") == "E01");
  CHECK(h.ask("qThreadExtraInfo,2") == gdb::to_hex("hart 1"));
}

TEST_CASE("session: monitor output, detach, kill, unknown packets") {
  Harness h;
  h.ask("qRcmd," + gdb::to_hex("icount"));
  REQUIRE(h.replies.size() == 2);
  CHECK(h.replies[0] == "O" + gdb::to_hex("ran icount\n"));
  CHECK(h.replies[1] == "OK");
  h.ask("qRcmd," + gdb::to_hex("fail"));
  CHECK(h.replies[0] == "O" + gdb::to_hex("it failed\n"));
  CHECK(h.ask("qRcmd,zz") == "E01");
  CHECK(h.ask("vMustReplyEmpty") == "");
  CHECK(h.ask("Xwhatever") == "");
  gdb::RspSession::Next next;
  CHECK(h.ask("D", &next) == "OK");
  CHECK(next == gdb::RspSession::Next::Detach);
  CHECK(h.ask("k", &next) == "<none>");
  CHECK(next == gdb::RspSession::Next::Kill);
}

TEST_CASE("session: random packets get a reply and never crash") {
  Harness h;
  std::mt19937 rng(7);
  const std::string alphabet = "gGpPmMzZHTqQvcsCSbDk?:;,=-0123456789abcdefxX";
  for (int i = 0; i < 3000; ++i) {
    std::string p(rng() % 40, ' ');
    for (char& c : p) c = alphabet[rng() % alphabet.size()];
    if (!p.empty() && (p[0] == 'k' || p[0] == 'D')) continue;
    h.replies.clear();
    REQUIRE(h.session.handle(p).ok());
    for (const auto& r : h.replies) CHECK(r.size() <= gdb::kMaxPacket);
  }
}
