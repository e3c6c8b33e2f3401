"""-smp 2: harts are threads; breakpoints in either, thread switching, stepping one hart."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    threads = run("info threads")
    check("two threads", "Thread 1" in threads and "Thread 2" in threads)
    run("break hart1_tick")
    run("continue")
    check_eq("hart 1 hit the breakpoint", gdb.selected_thread().num, 2)
    check_eq("in hart1_tick", frame_name(), "hart1_tick")
    check_eq("mhartid of thread 2", reg("mhartid"), 1)
    run("thread 1")
    check_eq("thread 1 is hart 0", reg("mhartid"), 0)
    check("thread 1 is elsewhere", pc() != address("hart1_tick"))
    hart0_pc = pc()
    run("thread 2")
    h1, h0 = icount(1), icount(0)
    run("stepi")
    check_eq("stepi thread 2: hart 1 ran one instruction", icount(1), h1 + 1)
    run("reverse-stepi")
    check_eq("reverse-stepi thread 2: hart 1 back", icount(1), h1)
    check_eq("reverse-stepi thread 2: at the breakpoint", pc(), address("hart1_tick"))
    check_eq("reverse-stepi thread 2: hart 0 untouched", icount(0), h0)
    run("thread 1")
    check_eq("hart 0 where it was", pc(), hart0_pc)
    run("delete")
    run("break bump")
    run("continue")
    check_eq("hart 0 hit bump", gdb.selected_thread().num, 1)
    hits = icount()
    run("continue")
    run("reverse-continue")
    check_eq("reverse-continue: thread 1 in bump", (gdb.selected_thread().num, frame_name()), (1, "bump"))
    check_eq("reverse-continue: the first call", reg("a0"), 1)
    check_eq("reverse-continue: the first hit's icount", icount(), hits)
    run("delete")
    run("continue")


main(body)
