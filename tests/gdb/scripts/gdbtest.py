"""Helpers for the end-to-end tests: gdb-multiarch runs a test script (gdb -x) against
gdb_target_driver; each check prints PASS/FAIL, and gdb exits 1 if any failed."""
import re

import gdb

failures = 0
MASK = (1 << 64) - 1
last_stop = None  # the last gdb.StopEvent (a stop's printed text is not capturable)


def _on_stop(event):
    global last_stop
    last_stop = event


gdb.events.stop.connect(_on_stop)


def stop_signal():
    """The signal of the last stop ("SIGINT", "SIGTRAP"), or None for a breakpoint/watchpoint stop."""
    return getattr(last_stop, "stop_signal", None)


def run(command):
    return gdb.execute(command, to_string=True)


def check(name, condition, detail=""):
    global failures
    if condition:
        print(f"PASS {name}")
    else:
        failures += 1
        print(f"FAIL {name} {detail}")


def check_eq(name, got, want):
    check(name, got == want, f"got {got!r}, want {want!r}")


def reg(name):
    return int(gdb.parse_and_eval(f"(unsigned long)${name}")) & MASK


def pc():
    return reg("pc")


def gprs():
    return [reg(f"x{i}") for i in range(1, 32)]


def address(symbol):
    return int(gdb.parse_and_eval(f"(unsigned long)&{symbol}")) & MASK


def value(expression):
    return int(gdb.parse_and_eval(expression)) & MASK


def icount(hart=None):
    """The machine's icount (monitor icount), or hart `hart`'s."""
    out = run("monitor icount")
    if hart is None:
        return int(re.search(r"icount (\d+)", out).group(1))
    return int(re.search(rf"hart {hart}: (\d+)", out).group(1))


def frame_name():
    return gdb.selected_frame().name()


def main(body):
    """Runs body(), counts an exception as a failure, ends gdb with the verdict."""
    try:
        body()
    except Exception as e:  # a gdb error is a failed test, not a crash of the harness
        check("the script ran to its end", False, repr(e))
    print(f"{failures} failed")
    gdb.execute(f"quit {1 if failures else 0}")
