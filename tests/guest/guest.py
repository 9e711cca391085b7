"""The guest tier's runner: thindesk-agent inside a QEMU guest booting Debian's
stock kernel, reached from the host through QEMU's user-mode port forwarding.

    with guest.Guest("display") as g:     # builds the image, boots, waits
        ... connect to 127.0.0.1:g.port with g.password ...
        results = g.stop()                # "stop" on the console, collects

The guest's serial console is QEMU's stdio: a thread keeps every line (and
writes it to console.log); the host writes `stop` to it when done. A guest that
does not end in time is killed and its console shown. Run it as a script to
boot a scenario by hand and connect to it: `guest.py display`.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("THINDESK_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
AGENT = os.environ.get("THINDESK_AGENT", os.path.join(BUILD, "agent", "thindesk-agent"))
TOOLS = os.path.join(BUILD, "tests", "guest")
IMAGE = os.path.join(BUILD, "tests", "guest", "image")
QEMU = "qemu-system-x86_64"
GUEST_PORT = 5900


class GuestError(AssertionError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def choose_accel():
    """('kvm'|'tcg', why). A software KVM (kvm_pvm) counts as none: it cannot
    boot a Debian kernel in useful time."""
    forced = os.environ.get("THINDESK_GUEST_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced, "forced by THINDESK_GUEST_ACCEL"
    if os.path.exists("/sys/module/kvm_pvm"):
        return "tcg", "/dev/kvm is the software kvm_pvm, which counts as no KVM"
    if not os.path.exists("/dev/kvm"):
        return "tcg", "no /dev/kvm"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "/dev/kvm is not usable by this user"
    return "kvm", "/dev/kvm is usable"


_image_lock = threading.Lock()
_image_ready = False


def build_image():
    """Builds (or refreshes the overlay of) the guest image; SkipTest when the
    kernel package or QEMU cannot be had."""
    global _image_ready
    with _image_lock:
        if _image_ready:
            return
        if not shutil.which(QEMU):
            raise unittest.SkipTest("%s is not installed (package qemu-system-x86)" % QEMU)
        adds = [AGENT, os.path.join(TOOLS, "evdev-reader"),
                os.path.join(BUILD, "usb", "thindesk-usb-helper")]
        for a in adds:
            if not os.path.exists(a):
                raise GuestError("not built: " + a)
        argv = ["/usr/bin/python3", os.path.join(HERE, "build-image.py"), "--out", IMAGE]
        for a in adds:
            argv += ["--add", a]
        t0 = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True)
        sys.stdout.write(p.stdout)
        if p.returncode == 77:
            reason = [l for l in p.stdout.splitlines() if l.startswith("SKIP: ")]
            raise unittest.SkipTest(reason[-1][6:] if reason else "guest image unavailable")
        if p.returncode != 0:
            raise GuestError("build-image.py failed (%d):\n%s%s" % (p.returncode, p.stdout,
                                                                      p.stderr))
        print("guest: image ready in %.1f s" % (time.monotonic() - t0), flush=True)
        _image_ready = True


class Guest:
    """One QEMU guest running one scenario. Every guest gets its own host port."""

    _count = 0

    def __init__(self, scenario, size="1280x720", timeout=150, memory=768):
        build_image()
        Guest._count += 1
        self.scenario = scenario
        self.size = size
        self.timeout = timeout
        self.memory = memory
        self.password = secrets.token_hex(8)
        self.accel, why = choose_accel()
        self.log_path = os.path.join(IMAGE, "console-%s-%d-%d.log" % (
            scenario, os.getpid(), Guest._count))
        self.log = open(self.log_path, "w")
        self.cond = threading.Condition()
        self.times = {}
        self.results = {}
        self.killed = False
        # QEMU binds the forwarded port itself: when another process took the
        # free port in between, it fails at once; then try another port.
        for attempt in range(3):
            self.port = free_port()
            print("guest: %s, accel %s (%s), host port %d -> guest %d" % (
                scenario, self.accel, why, self.port, GUEST_PORT), flush=True)
            self._start()
            try:
                self.wait_line("THINDESK-BOOTED", 60)
                break
            except GuestError:
                if attempt < 2 and self.lines_since(0, r"host forwarding|hostfwd"):
                    self.kill()
                    continue
                self.kill()
                self.dump()
                raise
        try:
            self.times["booted"] = time.monotonic() - self.t0
            self.ready_line = self.wait_line("THINDESK-READY", 90)
            self.times["ready"] = time.monotonic() - self.t0
            print("guest: reached /init after %.1f s, agent listening after %.1f s" % (
                self.times["booted"], self.times["ready"]), flush=True)
        except BaseException:
            self.kill()
            self.dump()
            raise

    def _argv(self):
        append = " ".join([
            "console=ttyS0", "quiet", "loglevel=4", "panic=-1", "rdinit=/init",
            "tsc=reliable", "no_timer_check", "i8042.noaux",
            "thindesk.scenario=" + self.scenario, "thindesk.port=%d" % GUEST_PORT,
            "thindesk.size=" + self.size, "thindesk.password=" + self.password,
            "thindesk.timeout=%d" % (self.timeout + 30)])
        if self.accel == "kvm":
            accel = ["-accel", "kvm", "-cpu", "host"]
        else:
            accel = ["-accel", "tcg", "-cpu", "max"]
        return [
            QEMU, "-M", "pc", *accel, "-smp", "1", "-m", str(self.memory),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", os.path.join(IMAGE, "vmlinux"),
            "-initrd", os.path.join(IMAGE, "initrd.img"),
            "-append", append,
            "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
            # restrict=on: the guest reaches nothing outside; only the forward in.
            "-netdev", "user,id=n0,restrict=on,net=10.0.2.0/24,"
                       "hostfwd=tcp:127.0.0.1:%d-10.0.2.15:%d" % (self.port, GUEST_PORT),
            "-device", "virtio-net-pci,netdev=n0",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        ]

    def _start(self):
        with self.cond:
            self.lines = []
            self.exit_status = None
        self.argv = self._argv()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self.reader.start()
        self.watchdog = threading.Timer(self.timeout, self._expire)
        self.watchdog.daemon = True
        self.watchdog.start()

    def _read(self, proc):
        buf = b""
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self._add(raw.decode("utf-8", "replace").rstrip("\r"))
        if buf:
            self._add(buf.decode("utf-8", "replace").rstrip("\r"))
        status = proc.wait()
        with self.cond:
            if proc is self.proc:
                self.exit_status = status
            self.cond.notify_all()

    def _add(self, line):
        self.log.write(line + "\n")
        self.log.flush()
        with self.cond:
            self.lines.append(line)
            m = re.search(r"THINDESK-RESULT (\S+?)=(.*)$", line)
            if m:
                self.results[m.group(1)] = m.group(2)
            self.cond.notify_all()

    def _expire(self):
        if self.proc.poll() is None:
            self.killed = True
            self._add("guest.py: the guest did not end in time: killed")
            self.proc.kill()

    def wait_line(self, pattern, timeout=30, start=0):
        """Waits for a console line matching the regex; returns it. Fails when
        the guest ends first or the time is up."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    if rx.search(self.lines[i]):
                        return self.lines[i]
                    i += 1
                if self.exit_status is not None:
                    why = ("killed at its %d s timeout" % self.timeout if self.killed
                           else self.results.get("error", "QEMU status %s" % self.exit_status))
                    raise GuestError("the guest ended before '%s': %s" % (pattern, why))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GuestError("no '%s' on the guest console within %.0f s" % (
                        pattern, timeout))
                self.cond.wait(min(left, 0.5))

    def mark(self):
        """A position in the console, for wait_line(start=...)."""
        with self.cond:
            return len(self.lines)

    def lines_since(self, start, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return [l for l in self.lines[start:] if rx.search(l)]

    def wait_clients_gone(self, start=0, timeout=30):
        """Waits until every client the agent logged as connected since start
        is logged as disconnected, so the stop that follows finds it idle."""
        def balance():
            on = len(self.lines_since(start, r"client \S+ connected"))
            off = len(self.lines_since(start, r"client \S+ disconnected"))
            return on - off
        deadline = time.monotonic() + timeout
        while balance() > 0:
            if time.monotonic() > deadline or self.exit_status is not None:
                raise GuestError("the agent in the guest never saw its client leave")
            time.sleep(0.05)

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self, timeout=60):
        """Asks the guest to stop its scenario and power off; returns the
        THINDESK-RESULT values. Fails when the guest does not end cleanly."""
        t = time.monotonic()
        self.times.setdefault("scenario", t - self.t0 - self.times.get("ready", 0))
        try:
            self.send("stop\n")
        except (BrokenPipeError, OSError):
            pass
        with self.cond:
            self.cond.wait_for(lambda: self.exit_status is not None, timeout)
        if self.exit_status is None:
            self.kill()
            raise GuestError("the guest did not power off within %d s" % timeout)
        self.reader.join(5)
        print("guest: scenario %.1f s, power-off %.1f s, total %.1f s" % (
            self.times["scenario"], time.monotonic() - t, time.monotonic() - self.t0),
            flush=True)
        if self.killed:
            raise GuestError("the guest was killed at its timeout")
        # isa-debug-exit: QEMU's status is 2 * guest status + 1.
        if self.exit_status != 1:
            raise GuestError("the guest ended with QEMU status %s (%s)" % (
                self.exit_status, self.results.get("error", "no error reported")))
        return dict(self.results)

    def kill(self):
        self.watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(5)

    def dump(self, out=sys.stderr):
        with self.cond:
            lines = list(self.lines)
        out.write("--- guest console (%s, %d lines) ---\n" % (self.log_path, len(lines)))
        for l in lines[-200:]:
            out.write(l + "\n")
        out.write("--- end of guest console ---\n")
        out.flush()

    def close(self):
        """Always ends the guest: a polite stop first, then the kill."""
        if self.proc.poll() is None:
            try:
                self.send("stop\n")
                self.proc.wait(20)
            except (subprocess.TimeoutExpired, OSError):
                pass
        self.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        if exc_type is not None and not issubclass(exc_type, unittest.SkipTest):
            self.dump()


def test_main():
    """unittest.main for the guest tier's scripts, with CTest's convention:
    exit 77 when every test was skipped (after SKIP: reason lines), 1 on
    failure, 0 when something ran and passed."""
    import warnings
    # gi's importer warns on every import under unittest's default filters.
    warnings.filterwarnings("ignore", category=ImportWarning)
    prog = unittest.main(verbosity=2, exit=False, warnings=False)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        for _, reason in r.skipped:
            print("SKIP: " + reason, flush=True)
        sys.exit(77)
    sys.exit(0)


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "display"
    with Guest(scenario) as g:
        print("guest: connect to spice://127.0.0.1:%d with password %s; Ctrl-C stops" % (
            g.port, g.password), flush=True)
        try:
            while g.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print(g.stop())


if __name__ == "__main__":
    main()
