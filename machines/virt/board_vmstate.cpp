#include "machines/virt/board_vmstate.h"

#include <type_traits>

#include <fmt/format.h>

namespace lockstep::machines::virt {
namespace {

namespace vm = snapshot::vm;
using B = BoardState;
using P = ConsoleScript::Progress;

static_assert(std::has_unique_object_representations_v<B> && sizeof(B) == 4 * 8,
              "BoardState changed: describe the new member");
static_assert(std::has_unique_object_representations_v<P> &&
                  sizeof(P) == 8 + 6 * 4 + ConsoleScript::kMaxPattern + ConsoleScript::kMaxPendingInput,
              "ConsoleScript::Progress changed: describe the new member");

Status board_post_load(B& b, int) {
  if (b.current_hart >= b.hart_count)
    return Error{fmt::format("current_hart {} is not below hart_count {}", b.current_hart, b.hart_count)};
  return Ok{};
}

constexpr vm::Field<B> kBoardFields[] = {
    vm::u32_equal<&B::hart_count>("hart_count"),
    vm::u64_equal<&B::ns_per_insn>("ns_per_insn"),
    vm::u64<&B::clock_offset_ns>("clock_offset_ns"),
    vm::u32<&B::current_hart>("current_hart"),
    vm::u64<&B::quantum_left>("quantum_left"),
};
constexpr vm::Section<B> kBoard{
    .name = "virt-board", .version = 1, .min_version = 1, .fields = kBoardFields, .post_load = board_post_load};

Status console_post_load(P& p, int) {
  if (p.next_action > p.action_count)
    return Error{fmt::format("next_action {} is beyond the {} actions", p.next_action, p.action_count)};
  if (p.stopped > 1) return Error{fmt::format("stopped is {}, must be 0 or 1", p.stopped)};
  return Ok{};
}

constexpr vm::Field<P> kConsoleFields[] = {
    vm::u32_equal<&P::action_count>("action_count"),
    vm::u32<&P::next_action>("next_action"),
    vm::u32<&P::stopped>("stopped"),
    vm::u64<&P::delivered>("delivered"),
    vm::u32<&P::window_len>("window_len"),
    vm::varray<&P::window, &P::window_len>("window"),
    vm::u32<&P::input_len>("input_len"),
    vm::varray<&P::input, &P::input_len>("input"),
};
constexpr vm::Section<P> kConsole{.name = "lockstep/console",
                                  .version = 1,
                                  .min_version = 1,
                                  .fields = kConsoleFields,
                                  .post_load = console_post_load};

}  // namespace

const vm::Section<BoardState>& board_vmstate() { return kBoard; }
const vm::Section<ConsoleScript::Progress>& console_progress_vmstate() { return kConsole; }

}  // namespace lockstep::machines::virt
