"""Memory writes, monitor commands: icount, goto, digest, diff-at, checkpoints, phys, xp."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    run("break bump")
    run("continue")
    at_bump, bump_digest = icount(), run("monitor digest")
    run("stepi 20")  # stops at bump again, 12 instructions on: the next call
    later = icount()
    out = run(f"monitor goto {at_bump}")
    run("maint flush register-cache")
    check("monitor goto says where", f"at icount {at_bump}" in out)
    check_eq("monitor goto: pc", pc(), address("bump"))
    check_eq("monitor goto: the digest of then", run("monitor digest"), bump_digest)
    diff = run(f"monitor diff-at {later}")
    check("diff-at names both states", "a: the state at icount" in diff and "b: the state now" in diff)
    check("diff-at shows the hart's registers differ", "cpu#0 env.gpr[" in diff, diff[:2000])
    check("checkpoints", re.search(r"\d+ checkpoints from icount 0", run("monitor checkpoints")) is not None)
    phys = run("monitor xp 0x80000000 8")
    check("xp reads physical memory", phys.startswith("0000000080000000:"))
    run("monitor phys on")
    check_eq("phys on: x/ reads the same (bare mode)", run("x/2wx 0x80000000").split(":")[1].split(),
             ["0x" + "".join(reversed(phys.split()[i:i + 4])) for i in (1, 5)])
    run("monitor phys off")
    check("bad monitor commands say so", "unknown monitor command" in run("monitor nonsense"))
    check("MMIO is not read", "Cannot access memory" in gdb_error("x/1wx 0x10000000"))
    run("set var watched = 40")
    check_eq("memory write", value("watched"), 40)
    run("delete")
    run("continue")


def gdb_error(command):
    try:
        return run(command)
    except gdb.error as e:
        return str(e)


main(body)
