"""Ctrl-C stops a guest that runs forever; reverse-continue from there still finds a breakpoint."""
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    run("break main")
    run("continue")
    run("set var spin = 1")  # after crt0 cleared .bss
    run("delete")
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    run("continue")
    check_eq("stopped by SIGINT", stop_signal(), "SIGINT")
    check_eq("spinning in main", frame_name(), "main")
    check("ran far", icount() > 1000000)
    run("break bump")
    run("reverse-continue")
    check_eq("reverse-continue after Ctrl-C: the last bump", reg("a0"), 5)
    run("delete")
    run("kill")


main(body)
