#!/usr/bin/env python3
"""Records a U-Boot session typed at a terminal (a pty), then replays the trace with no input in a
fresh process: the console output and the final digest must be the recording's.

usage: interactive.py LOCKSTEP OPENSBI UBOOT WORKDIR [--smp N] [--disk] [--record-jit E] [--replay-jit E]
Exit status 0 when the replay matches; the reason on stderr otherwise.
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

TIMEOUT = 120  # seconds for any one wait: a test must end, never hang


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


class Terminal:
    """The child's controlling terminal, seen from the keyboard's side."""

    def __init__(self, argv, stderr_path):
        self.master, slave = os.openpty()
        self.err = open(stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=self.err, start_new_session=True)
        os.close(slave)
        self.out = b""

    def read_until(self, pattern, after=0):
        deadline = time.monotonic() + TIMEOUT
        while pattern not in self.out[after:]:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"no {pattern!r} on the console within {TIMEOUT} s; it shows:\n{self.out[-2000:].decode(errors='replace')}")
            ready, _, _ = select.select([self.master], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    fail(f"the console closed before {pattern!r}:\n{self.out[-2000:].decode(errors='replace')}")
                self.out += chunk
            elif self.proc.poll() is not None:
                fail(f"lockstep exited ({self.proc.returncode}) before {pattern!r}")
        return self.out.index(pattern, after) + len(pattern)

    def type(self, text):
        # A person types: one key at a time, a little apart.
        for ch in text:
            os.write(self.master, ch.encode("latin-1"))
            time.sleep(0.002)

    def finish(self):
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("lockstep did not exit after Ctrl-A x")
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.out += chunk
        os.close(self.master)
        self.err.close()
        return self.proc.returncode


def console_text(raw):
    # The terminal adds a carriage return to every newline (OPOST): compare without any.
    return raw.replace(b"\r", b"")


def digest_line(text):
    m = re.findall(r"^digest \d+ [0-9a-f]{16}$", text, re.M)
    return m[-1] if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lockstep")
    ap.add_argument("opensbi")
    ap.add_argument("uboot")
    ap.add_argument("workdir")
    ap.add_argument("--smp", default="1")
    ap.add_argument("--disk", action="store_true")
    ap.add_argument("--record-jit", default="off")
    ap.add_argument("--replay-jit", default="off")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    trace = os.path.join(a.workdir, "session.trace")
    run_args = ["-M", "virt", "-m", "256M", "-smp", a.smp, "-bios", a.opensbi, "-kernel", a.uboot,
                "--jit", a.record_jit, "--digest"]
    commands = ["version", "echo lockstep typed this", "setenv answer 42", "printenv answer"]
    if a.disk:
        disk = os.path.join(a.workdir, "disk.img")
        with open(disk, "wb") as f:
            f.write(b"replayed disk: sector 0".ljust(1 << 20, b"\0"))
        run_args += ["-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"]
        commands += ["virtio scan", "virtio read 0x84000000 0 1", "md.b 0x84000000 0x10"]
    term = Terminal([a.lockstep, "record", "-o", trace, "--digest-interval", "20000000", "--"] + run_args,
                    os.path.join(a.workdir, "record.err"))
    pos = term.read_until(b"autoboot")
    term.type(" ")
    pos = term.read_until(b"=> ", pos)
    for c in commands:
        term.type(c + "\r")
        pos = term.read_until(b"=> ", pos)
    term.type("\x01h")  # Ctrl-A h: help, on stderr; the guest sees nothing
    time.sleep(0.2)
    term.type("\x01x")  # Ctrl-A x: quit
    code = term.finish()
    record_err = open(os.path.join(a.workdir, "record.err")).read()
    if code != 0:
        fail(f"lockstep record exited {code}:\n{record_err}")
    if "C-a x    exit emulator" not in record_err or "terminated (C-a x)" not in record_err:
        fail(f"no Ctrl-A help or quit message on stderr:\n{record_err}")
    recorded = console_text(term.out)
    for c in commands:
        if c.encode() not in recorded:
            fail(f"the typed command {c!r} is not on the recorded console")
    if b"answer=42" not in recorded:
        fail("U-Boot did not run the typed commands (no answer=42)")
    record_digest = digest_line(record_err)
    if not record_digest:
        fail(f"no digest line from lockstep record:\n{record_err}")

    r = subprocess.run([a.lockstep, "replay", trace, "--digest", "--jit", a.replay_jit], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT * 2)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        fail(f"lockstep replay exited {r.returncode}:\n{err}")
    if console_text(r.stdout) != recorded:
        a_lines, b_lines = recorded.split(b"\n"), console_text(r.stdout).split(b"\n")
        for i, (x, y) in enumerate(zip(a_lines, b_lines)):
            if x != y:
                fail(f"replayed console differs at line {i + 1}: recorded {x!r}, replayed {y!r}")
        fail(f"replayed console has {len(b_lines)} lines, the recording {len(a_lines)}")
    if digest_line(err) != record_digest:
        fail(f"digest: recorded '{record_digest}', replayed '{digest_line(err)}'")
    if "ended as recorded: quit" not in err:
        fail(f"replay did not report the recorded end:\n{err}")
    print(f"ok: {len(commands)} commands typed, replayed to the same console and {record_digest}")
    print(err.strip().splitlines()[-2] if len(err.strip().splitlines()) > 1 else err.strip())


if __name__ == "__main__":
    main()
