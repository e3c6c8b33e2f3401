"""Break at a guest function, stepi, registers, memory, reverse-stepi exactly one instruction back."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    run("break bump")
    run("continue")
    check_eq("stopped in bump", frame_name(), "bump")
    check_eq("pc is bump's", pc(), address("bump"))
    check_eq("first call: step = 1", reg("a0"), 1)
    check("info registers lists the GPRs", "ra " in run("info registers"))
    check_eq("priv is M", reg("priv"), 3)
    check("mstatus reads", reg("mstatus") != 0)
    check_eq("misa says RV64", reg("misa") >> 62, 2)
    check_eq("x/ reads memory", run("x/1gx &watched").split(":")[1].split(), ["0x0000000000000000"])
    check_eq("p watched", value("watched"), 0)

    # stepi / reverse-stepi: pc, every GPR and icount exactly as before, one and five steps.
    for steps in (1, 5):
        before_pc, before_regs, before_n = pc(), gprs(), icount()
        trail = []
        for _ in range(steps):
            trail.append((pc(), gprs(), icount()))
            run("stepi")
        check_eq(f"stepi x{steps} counts {steps}", icount(), before_n + steps)
        for i in range(steps):
            run("reverse-stepi")
            want_pc, want_regs, want_n = trail[steps - 1 - i]
            check_eq(f"reverse-stepi {i + 1}/{steps}: icount one back", icount(), want_n)
            check_eq(f"reverse-stepi {i + 1}/{steps}: pc", pc(), want_pc)
            check(f"reverse-stepi {i + 1}/{steps}: registers", gprs() == want_regs)
        check_eq(f"back where the {steps} steps began", (pc(), gprs(), icount()), (before_pc, before_regs, before_n))

    # Forwards to the third call, reverse-continue lands exactly on the second.
    run("continue")
    second = icount()
    check_eq("second call: step = 2", reg("a0"), 2)
    run("continue")
    check_eq("third call: step = 3", reg("a0"), 3)
    run("reverse-continue")
    check_eq("reverse-continue: the second call's icount", icount(), second)
    check_eq("reverse-continue: step = 2", reg("a0"), 2)
    check_eq("reverse-continue: pc is bump's", pc(), address("bump"))

    # reverse-finish: back out of bump to the call in main (with no breakpoint on bump's entry,
    # which gdb would report instead).
    run("delete")
    run("stepi")
    run("stepi")
    run("reverse-finish")
    check_eq("reverse-finish: in main", frame_name(), "main")
    check("reverse-finish: at the call", "jal" in run("x/i $pc") or "call" in run("x/i $pc"))
    run("continue")


main(body)
