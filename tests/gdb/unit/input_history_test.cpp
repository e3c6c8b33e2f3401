// The input history: live input logged with its feed points, served again from the log when the
// past is re-run, the live source asked only past the frontier.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "machines/virt/virt_machine.h"
#include "replay/gdb/input_history.h"
#include "replay/gdb/stop_probe.h"

namespace gdb = lockstep::replay::gdb;
using lockstep::machines::ConsoleReceiver;
using lockstep::machines::InputPoint;
using lockstep::machines::InputSource;

namespace {

// Types "a" at icount 10 (its second feed point there), "bc" at 20, and ends the input at 30.
struct Typist final : InputSource {
  int asked = 0;
  Action feed(const InputPoint& at, const lockstep::machines::InputReceivers& to) override {
    ConsoleReceiver& console = to.console;
    ++asked;
    if (at.icount == 10 && at.pass == 1) console.receive('a');
    if (at.icount == 20 && at.pass == 0) {
      console.receive('b');
      console.receive('c');
    }
    return at.icount == 30 ? Action::Quit : Action::Continue;
  }
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t) override { return std::nullopt; }
  bool wait_for_input() override { return false; }
};

struct Screen final : ConsoleReceiver {
  std::string got;
  bool can_receive() const override { return true; }
  void receive(std::uint8_t b) override { got.push_back(static_cast<char>(b)); }
  operator lockstep::machines::InputReceivers() { return lockstep::machines::InputReceivers{*this, {}}; }
};

}  // namespace

TEST_CASE("input history: the past is served from the log, the future by the live source") {
  lockstep::machines::virt::VirtConfig c;
  c.bios = "none";
  c.kernel = fmt::format("{}/hello.elf", GUESTS_DIR);
  auto vm = lockstep::machines::virt::VirtMachine::create(c, [](std::uint8_t) {});
  REQUIRE(vm.ok());
  gdb::StopProbe probe(*vm.value());
  Typist live;
  gdb::InputHistory history(&live, probe);
  Screen screen;
  // The board's feed points: two at icount 10, one at 20, one at 30.
  const InputPoint points[] = {{10, 0}, {10, 1}, {20, 0}, {30, 0}};
  for (const auto& p : points) (void)history.feed(p, screen);
  CHECK(screen.got == "abc");
  CHECK(live.asked == 4);
  CHECK(history.ended());
  history.reached(30);

  // Back to a checkpoint before it all: the same feed points get the same bytes, from the log.
  history.rewound();
  Screen again;
  std::vector<InputSource::Action> actions;
  for (const auto& p : points) actions.push_back(history.feed(InputPoint{p.icount, 99}, again));  // the board's pass is not trusted
  CHECK(again.got == "abc");
  CHECK(live.asked == 4);
  CHECK(actions.back() == InputSource::Action::Quit);
  // Feed points the live run never had (a run cut elsewhere) get nothing.
  history.rewound();
  Screen cut;
  (void)history.feed(InputPoint{15, 0}, cut);
  CHECK(cut.got.empty());
  CHECK(history.next_feed_icount(11) == std::optional<std::uint64_t>(20));
  CHECK(live.asked == 4);

  // A change at icount 20: what was logged from there on is gone, the live source asked again.
  history.rewound();
  (void)history.feed(InputPoint{10, 0}, cut);
  history.truncate(20);
  CHECK(history.logged_bytes() == 1);
  Screen fresh;
  (void)history.feed(InputPoint{20, 0}, fresh);
  CHECK(fresh.got == "bc");
  CHECK(live.asked == 5);
}
