"""Debian's OpenSBI and U-Boot (no symbols): break at U-Boot's entry, step, step back exactly."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403

UBOOT_ENTRY = 0x80200000


def body():
    run(f"break *{UBOOT_ENTRY:#x}")
    run("continue")
    check_eq("at U-Boot's entry", pc(), UBOOT_ENTRY)
    check_eq("in S-mode (OpenSBI's mret)", reg("priv"), 1)
    entry = icount()
    check("OpenSBI ran first", entry > 100000)
    trail = []
    for _ in range(30):
        trail.append((pc(), gprs(), icount()))
        run("stepi")
    for i in range(30):
        run("reverse-stepi")
        want = trail[29 - i]
        check(f"reverse-stepi {i + 1}: pc, registers, icount", (pc(), gprs(), icount()) == want,
              f"got pc {pc():#x} icount {icount()}, want pc {want[0]:#x} icount {want[2]}")
    run("delete")
    run(f"break *{UBOOT_ENTRY:#x}")
    run("stepi 5000")
    run("reverse-continue")
    check_eq("reverse-continue to the entry: pc", pc(), UBOOT_ENTRY)
    check_eq("reverse-continue to the entry: icount", icount(), entry)
    run("delete")
    run("kill")


main(body)
