#include "replay/gdb/rsp_session.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "replay/gdb/rsp_packet.h"

namespace lockstep::replay::gdb {
namespace {

// What qSupported announces. ReverseStep/ReverseContinue make gdb offer reverse-stepi,
// reverse-continue and the commands built on them (reverse-step, reverse-finish).
constexpr std::string_view kSupported =
    "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;ReverseStep+;ReverseContinue+;swbreak+;hwbreak+;"
    "vContSupported+";
static_assert(kMaxPacket == 0x4000);

// The largest memory read answered in one reply (two hex digits a byte, within PacketSize).
constexpr std::size_t kMaxMemoryRead = (kMaxPacket - 16) / 2;

// "HEAD<sep>HEXDATA" (P's "n=v", M's "a,l:data"): the head and the decoded bytes.
std::pair<std::string_view, std::optional<std::vector<std::uint8_t>>> with_hex_data(std::string_view text, char sep) {
  const auto at = text.find(sep);
  if (at == std::string_view::npos) return {text, std::nullopt};
  return {text.substr(0, at), from_hex(text.substr(at + 1))};
}

// "A,B" with both in hex.
std::optional<std::pair<std::uint64_t, std::uint64_t>> two_hex(std::string_view text) {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto a = parse_hex(text.substr(0, comma)), b = parse_hex(text.substr(comma + 1));
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

std::string error_reply(int code) { return fmt::format("E{:02x}", code); }

}  // namespace

std::string RspSession::stop_text(const StopReply& s) {
  if (s.kind == StopReply::Kind::Exited) return fmt::format("W{:02x}", s.exit_code & 0xff);
  std::string reason;
  switch (s.kind) {
    case StopReply::Kind::SwBreak: reason = "swbreak:;"; break;
    case StopReply::Kind::HwBreak: reason = "hwbreak:;"; break;
    case StopReply::Kind::Watch: reason = fmt::format("watch:{:x};", s.address); break;
    case StopReply::Kind::ReadWatch: reason = fmt::format("rwatch:{:x};", s.address); break;
    case StopReply::Kind::AccessWatch: reason = fmt::format("awatch:{:x};", s.address); break;
    case StopReply::Kind::HistoryBegin: reason = "replaylog:begin;"; break;
    case StopReply::Kind::HistoryEnd: reason = "replaylog:end;"; break;
    default: break;
  }
  const int sig = s.kind == StopReply::Kind::Signal ? s.signal : 5;
  return fmt::format("T{:02x}{}thread:{:x};", sig & 0xff, reason, s.hart + 1);
}

std::optional<unsigned> RspSession::parse_thread(std::string_view text, unsigned current) const {
  if (text == "0" || text == "-1") return current;
  auto id = parse_hex(text);
  if (!id || *id == 0 || *id > target_.hart_count()) return std::nullopt;
  return static_cast<unsigned>(*id - 1);
}

Result<RspSession::Next> RspSession::handle(std::string_view p) {
  auto send = [this](std::string_view reply) { return wire_.send(reply); };
  Next next = Next::Serve;
  if (p.empty()) {
    LS_TRY(send(""));
    return next;
  }
  const std::string_view args = p.substr(1);
  switch (p[0]) {
    case '?': LS_TRY(send(stop_text(target_.last_stop()))); break;
    case 'q':
    case 'Q': LS_TRY(query(p)); break;
    case 'v': LS_TRY(v_packet(p, next)); break;
    case 'H': {
      if (args.empty()) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      auto hart = parse_thread(args.substr(1), args[0] == 'g' ? g_hart_ : c_hart_);
      if (!hart || (args[0] != 'g' && args[0] != 'c')) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      (args[0] == 'g' ? g_hart_ : c_hart_) = *hart;
      LS_TRY(send("OK"));
      break;
    }
    case 'T': LS_TRY(send(parse_thread(args, g_hart_) ? "OK" : error_reply(1))); break;
    case 'g': {
      std::string out;
      bool ok = true;
      for (unsigned r = 0; r < target_.g_register_count() && ok; ++r) {
        auto v = target_.read_register(g_hart_, r);
        ok = v.ok();
        if (ok) out += to_hex(v.value());
      }
      LS_TRY(send(ok ? out : error_reply(1)));
      break;
    }
    case 'G': {
      auto bytes = from_hex(args);
      // Every 'g' register is 8 bytes here (RV64); a shorter packet writes the leading ones.
      if (!bytes || bytes->size() % 8) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      const unsigned n = std::min<unsigned>(target_.g_register_count(), static_cast<unsigned>(bytes->size() / 8));
      bool ok = true;
      for (unsigned r = 0; r < n && ok; ++r)
        ok = target_.write_register(g_hart_, r, std::span(bytes->data() + 8 * r, 8)).ok();
      LS_TRY(send(ok ? "OK" : error_reply(1)));
      break;
    }
    case 'p': {
      auto reg = parse_hex(args);
      auto v = reg && *reg <= 0xffff ? target_.read_register(g_hart_, static_cast<unsigned>(*reg))
                                     : Result<std::vector<std::uint8_t>>(Error{"bad register"});
      LS_TRY(send(v ? to_hex(v.value()) : error_reply(1)));
      break;
    }
    case 'P': {
      const auto [head, value] = with_hex_data(args, '=');
      auto reg = parse_hex(head);
      const bool ok = reg && value && *reg <= 0xffff &&
                      target_.write_register(g_hart_, static_cast<unsigned>(*reg), *value).ok();
      LS_TRY(send(ok ? "OK" : error_reply(1)));
      break;
    }
    case 'm': {
      auto al = two_hex(args);
      if (!al || al->second > kMaxMemoryRead) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      auto bytes = target_.read_memory(g_hart_, al->first, static_cast<std::size_t>(al->second));
      LS_TRY(send(bytes ? to_hex(bytes.value()) : error_reply(0x0e)));
      break;
    }
    case 'M': {
      const auto [head, data] = with_hex_data(args, ':');
      auto al = two_hex(head);
      if (!al || !data || data->size() != al->second) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      LS_TRY(send(target_.write_memory(g_hart_, al->first, *data) ? "OK" : error_reply(0x0e)));
      break;
    }
    case 'Z':
    case 'z': {
      // Ztype,addr,kind[;conditions]: conditions are not announced, so gdb evaluates them itself.
      const std::string_view body = args.substr(0, args.find(';'));
      const auto comma = body.find(',');
      auto type = parse_hex(body.substr(0, comma));
      auto al = comma == std::string_view::npos ? std::nullopt : two_hex(body.substr(comma + 1));
      if (!type || *type > 4) {
        LS_TRY(send(""));  // unsupported type: gdb falls back
        break;
      }
      if (!al) {
        LS_TRY(send(error_reply(1)));
        break;
      }
      const auto kind = static_cast<PointKind>(*type);
      Status st = p[0] == 'Z' ? target_.insert_point(kind, al->first, al->second)
                              : target_.remove_point(kind, al->first, al->second);
      LS_TRY(send(st ? "OK" : error_reply(0x0e)));
      break;
    }
    case 'c':
    case 's':
    case 'C':
    case 'S': {
      // c [addr] / C sig[;addr]: the signal is not delivered (a machine has none to take).
      std::string_view addr = args;
      if (p[0] == 'C' || p[0] == 'S') {
        const auto semi = args.find(';');
        addr = semi == std::string_view::npos ? std::string_view{} : args.substr(semi + 1);
      }
      if (!addr.empty()) {
        auto a = parse_hex(addr);
        if (!a) {
          LS_TRY(send(error_reply(1)));
          break;
        }
        std::vector<std::uint8_t> pc(8);
        for (unsigned i = 0; i < 8; ++i) pc[i] = static_cast<std::uint8_t>(*a >> (8 * i));
        (void)target_.write_register(c_hart_, 32, pc);
      }
      return resume(p[0] == 'c' || p[0] == 'C' ? Resume::Continue : Resume::Step, c_hart_);
    }
    case 'b':
      if (p == "bc") return resume(Resume::ReverseContinue, c_hart_);
      if (p == "bs") return resume(Resume::ReverseStep, c_hart_);
      LS_TRY(send(""));
      break;
    case 'D':
      target_.detached();
      LS_TRY(send("OK"));
      return Next::Detach;
    case 'k': target_.detached(); return Next::Kill;  // no reply, as gdbserver
    default: LS_TRY(send("")); break;
  }
  return next;
}

Result<RspSession::Next> RspSession::resume(Resume how, unsigned hart) {
  const StopReply stop = target_.resume(how, hart, wire_.interrupted);
  if (!stop.message.empty()) LS_TRY(console_output(stop.message + "\n"));
  if (stop.kind == StopReply::Kind::Error) {
    LS_TRY(wire_.send(error_reply(1)));
    return Next::Serve;
  }
  if (stop.kind != StopReply::Kind::Exited) g_hart_ = c_hart_ = stop.hart;
  LS_TRY(wire_.send(stop_text(stop)));
  return stop.kind == StopReply::Kind::Exited ? Next::Exited : Next::Serve;
}

Status RspSession::query(std::string_view p) {
  auto send = [this](std::string_view reply) { return wire_.send(reply); };
  if (p.starts_with("qSupported")) return send(kSupported);
  if (p == "QStartNoAckMode") {
    LS_TRY(send("OK"));
    wire_.stop_acknowledging();
    return Ok{};
  }
  if (p == "qAttached") return send("1");  // gdb's quit detaches and the guest runs on
  if (p == "qC") return send(fmt::format("QC{:x}", g_hart_ + 1));
  if (p == "qfThreadInfo") {
    std::string list = "m";
    for (unsigned h = 0; h < target_.hart_count(); ++h) list += fmt::format("{}{:x}", h ? "," : "", h + 1);
    return send(list);
  }
  if (p == "qsThreadInfo") return send("l");
  if (p.starts_with("qThreadExtraInfo,")) {
    auto hart = parse_thread(p.substr(17), g_hart_);
    return send(hart ? to_hex(target_.thread_info(*hart)) : error_reply(1));
  }
  if (p == "qSymbol::") return send("OK");
  if (p.starts_with("qRcmd,")) return monitor(p.substr(6));
  if (p.starts_with("qXfer:features:read:")) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    const std::string_view rest = p.substr(20);
    const auto colon = rest.find(':');
    auto ol = colon == std::string_view::npos ? std::nullopt : two_hex(rest.substr(colon + 1));
    if (!ol) return send(error_reply(1));
    if (rest.substr(0, colon) != "target.xml") return send(error_reply(0));
    const std::string& xml = target_.target_xml();
    if (ol->first > xml.size()) return send(error_reply(1));
    const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(ol->second, kMaxPacket / 2));
    const std::string part = xml.substr(static_cast<std::size_t>(ol->first), len);
    return send((ol->first + part.size() < xml.size() ? "m" : "l") + part);
  }
  return send("");
}

Status RspSession::v_packet(std::string_view p, Next& next) {
  auto send = [this](std::string_view reply) { return wire_.send(reply); };
  if (p == "vCont?") return send("vCont;c;C;s;S");
  if (p.starts_with("vCont;")) {
    // Actions apply to the threads they name; one without a thread to the rest. In all-stop mode
    // a step of one thread while the others "continue" steps that thread: the scheduler runs the
    // others as it would anyway.
    std::optional<unsigned> step;
    bool cont = false;
    std::string_view actions = p.substr(6);
    while (!actions.empty()) {
      const auto semi = actions.find(';');
      const std::string_view a = actions.substr(0, semi);
      actions = semi == std::string_view::npos ? std::string_view{} : actions.substr(semi + 1);
      if (a.empty()) continue;
      const auto colon = a.find(':');
      const std::string_view thread = colon == std::string_view::npos ? std::string_view{} : a.substr(colon + 1);
      if (a[0] == 's' || a[0] == 'S') {
        auto hart = thread.empty() ? std::optional<unsigned>(c_hart_) : parse_thread(thread, c_hart_);
        if (!hart) return send(error_reply(1));
        if (!step) step = hart;
      } else if (a[0] == 'c' || a[0] == 'C') {
        cont = true;
      } else {
        return send(error_reply(1));
      }
    }
    if (!step && !cont) return send(error_reply(1));
    auto r = resume(step ? Resume::Step : Resume::Continue, step ? *step : c_hart_);
    if (!r) return r.error();
    next = r.value();
    return Ok{};
  }
  if (p.starts_with("vKill")) {
    target_.detached();
    LS_TRY(send("OK"));
    next = Next::Kill;
    return Ok{};
  }
  return send("");  // vMustReplyEmpty and everything not implemented
}

Status RspSession::monitor(std::string_view hex_command) {
  auto bytes = from_hex(hex_command);
  if (!bytes) return wire_.send(error_reply(1));
  const std::string command(bytes->begin(), bytes->end());
  auto out = target_.monitor(command);
  LS_TRY(console_output(out ? out.value() : out.error().message + "\n"));
  return wire_.send("OK");
}

Status RspSession::console_output(std::string_view text) {
  // 'O' + hex packets, each within PacketSize.
  constexpr std::size_t kChunk = (kMaxPacket - 8) / 2;
  for (std::size_t at = 0; at < text.size(); at += kChunk) LS_TRY(wire_.send("O" + to_hex(text.substr(at, kChunk))));
  return Ok{};
}

}  // namespace lockstep::replay::gdb
