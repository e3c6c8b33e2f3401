"""Watchpoints: continue to the writes, reverse-continue lands before each write (exact icount),
read and access watchpoints."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    run("watch watched")
    run("continue")  # crt0's .bss clear writes the same zero: gdb sees no change and goes on
    check_eq("first write: watched = 1", value("watched"), 1)
    check_eq("stopped in bump", frame_name(), "bump")
    first = icount()
    run("continue")
    check_eq("second write: watched = 3", value("watched"), 3)
    second = icount()
    after_store = pc()

    run("reverse-continue")
    check_eq("reverse-continue: before the write, watched = 1", value("watched"), 1)
    check_eq("reverse-continue: exactly one instruction before the forward stop", icount(), second - 1)
    check("reverse-continue: at the store", "sd" in run("x/i $pc"))
    check("reverse-continue: the store is the instruction before the forward stop", pc() < after_store)
    run("reverse-continue")
    check_eq("again: before the first write, watched = 0", value("watched"), 0)
    check_eq("again: exact icount", icount(), first - 1)
    run("continue")
    check_eq("forwards again: watched = 1", value("watched"), 1)
    check_eq("forwards again: the same icount", icount(), first)
    run("delete")

    run("rwatch watched")
    run("continue")
    check_eq("read watchpoint: watched unchanged", value("watched"), 1)
    run("delete")
    run("awatch watched")
    run("continue")
    check_eq("access watchpoint: the second call's read (step 2, watched 1)", (reg("a0"), value("watched")), (2, 1))
    run("continue")
    check_eq("access watchpoint: then its write", value("watched"), 3)
    run("delete")
    run("continue")


main(body)
