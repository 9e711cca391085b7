#!/usr/bin/env python3
"""The install list is complete: the .deb goes into a fresh minimal bookworm
root (mmdebstrap --variant=minbase from Debian's archive) with plain
`apt-get install ./thindesk_*.deb` (Depends and Recommends, nothing by hand),
and in that root, in namespaces of its own (mount, pid, network: its ports and
X display cannot meet the host's), the agent starts its virtual desktop and
the client takes a screenshot of it over TLS with the agent's .vv file: exit
0, nothing on the client's stderr, the same pixels as the X root (grabbed by
the host's ImageMagick from inside the root's network namespace, so that
nothing extra is installed into the root).

The minbase root is cached as a tarball under /var/cache/thindesk-tests/roots,
named by a hash of its inputs and rebuilt after a week; downloaded packages
and apt's lists are kept in /var/cache/thindesk-tests too. Every mount lives
in a private mount namespace, every process in a pid namespace: both end with
the run. Needs root."""

import ctypes
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgtest  # noqa: E402

CACHE = os.environ.get("THINDESK_TEST_CACHE", "/var/cache/thindesk-tests")
ROOTS = os.path.join(CACHE, "roots")
ARCHIVES = os.path.join(CACHE, "apt-archives")
LISTS = os.path.join(CACHE, "apt-lists")
SUITE = "bookworm"
VARIANT = "minbase"
MMDEBSTRAP_ARGS = ["--variant=" + VARIANT, "--mode=root", "--format=tar"]
MAX_AGE = 7 * 24 * 3600
SIZE = (1024, 768)
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
T0 = time.monotonic()
# A folder to keep the screenshots and logs of a run in, for a person to look at.
KEEP = os.environ.get("THINDESK_FRESHROOT_KEEP")


def progress(text):
    print("freshroot: [%6.1f s] %s" % (time.monotonic() - T0, text), flush=True)


class Step:
    """Prints a step when it starts and how long it took."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        self.t = time.monotonic()
        progress(self.what + " ...")

    def __exit__(self, exc, *rest):
        progress("%s: %s in %.1f s" % (self.what, "failed" if exc else "done",
                                       time.monotonic() - self.t))


def host_debian_sources():
    """The host's apt sources on Debian's archive (*.debian.org), deb822
    stanzas and one-line entries; third-party sources are left out."""
    out = []
    files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        with open(path) as f:
            for stanza in re.split(r"\n\s*\n", f.read()):
                if re.search(r"(?m)^URIs:.*\bhttps?://[a-z.]*debian\.org/", stanza):
                    out.append(stanza.strip() + "\n")
    lines = []
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if os.path.exists(path):
            with open(path) as f:
                lines += [ln for ln in f if re.match(r"^deb\s.*https?://[a-z.]*debian\.org/", ln)]
    return "\n".join(out), "".join(lines)


def root_tarball(tmp):
    """The cached minbase root for the host's Debian sources: built when its
    inputs changed or it is older than a week, under a temporary name then
    renamed, so an interrupted build leaves no broken cache."""
    deb822, oneline = host_debian_sources()
    if not deb822 and not oneline:
        raise AssertionError("no Debian archive among this host's apt sources")
    key = json.dumps({"suite": SUITE, "variant": VARIANT, "args": MMDEBSTRAP_ARGS,
                      "deb822": deb822, "oneline": oneline}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    name = "%s-%s-%s.tar" % (SUITE, VARIANT, digest)
    path = os.path.join(ROOTS, name)
    if os.path.exists(path) and time.time() - os.path.getmtime(path) < MAX_AGE:
        progress("cached root %s (%.1f days old)"
                 % (path, (time.time() - os.path.getmtime(path)) / 86400))
        return path
    os.makedirs(ROOTS, exist_ok=True)
    mirrors = []
    if deb822:
        mirrors.append(os.path.join(tmp, "debian.sources"))
        with open(mirrors[-1], "w") as f:
            f.write(deb822)
    if oneline:
        mirrors.append(os.path.join(tmp, "debian.list"))
        with open(mirrors[-1], "w") as f:
            f.write(oneline)
    partial = os.path.join(ROOTS, ".%s.%d.partial" % (name, os.getpid()))
    with Step("building the %s %s root with mmdebstrap (cache key %s)"
              % (SUITE, VARIANT, digest)):
        try:
            p = pkgtest.run(["mmdebstrap", *MMDEBSTRAP_ARGS, SUITE, partial, *mirrors],
                            timeout=1200)
            if p.returncode != 0:
                raise AssertionError("mmdebstrap failed:\n" + p.stdout + p.stderr)
            os.rename(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    # Older roots of this suite and variant (other inputs, or expired) go.
    for old in glob.glob(os.path.join(ROOTS, "%s-%s-*.tar" % (SUITE, VARIANT))):
        if old != path:
            os.unlink(old)
    return path


# Run by unshare(1) in new mount and pid namespaces, with the host's network:
# the root's apt installs the package from Debian's archive.
INSTALL_SCRIPT = r"""
set -eu
R=$1
mount -t proc proc "$R/proc"
mount --bind "$2" "$R/var/cache/apt/archives"
mount --bind "$3" "$R/var/lib/apt/lists"
exec chroot "$R" /usr/bin/env -i PATH="$4" HOME=/root DEBIAN_FRONTEND=noninteractive \
  /bin/sh -euc 'cd /tmp && apt-get -q -o Dpkg::Use-Pty=0 update &&
    apt-get -q -y -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-unsafe-io \
      install ./'"$5"' &&
    apt-get -q autoclean'
"""


def die_with_parent():
    """preexec_fn: SIGKILL when this test process dies, even by SIGKILL;
    unshare --kill-child passes that on to the namespace's first process,
    and the pid namespace ends with it."""
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def unshare(argv, timeout):
    return pkgtest.run(["unshare", "--mount", "--pid", "--fork", "--kill-child",
                        "--propagation", "private", *argv], timeout=timeout,
                       preexec_fn=die_with_parent)


def namespace_pids(root):
    """Processes whose root directory is @root (or below)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                r = os.readlink("/proc/%s/root" % d)
            except OSError:
                continue
            if r == root or r.startswith(root + "/"):
                pids.append(int(d))
    return pids


def mounts_below(root):
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4] for ln in f
                if ln.split()[4] == root or ln.split()[4].startswith(root + "/")]


class Interrupted(Exception):
    """SIGTERM or SIGINT: an error like any other, so that tearDown cleans."""


def interrupted(signum, frame):
    raise Interrupted("stopped by signal %d" % signum)


def remove_leftovers():
    """Temporary roots of runs that were killed before they could clean up
    (SIGKILL). Called under the lock: no other run is using one."""
    for old in glob.glob(os.path.join(tempfile.gettempdir(), "thindesk-freshroot-*")):
        root = os.path.join(old, "root")
        if not namespace_pids(root) and not mounts_below(root):
            progress("removing %s, left by an interrupted run" % old)
            shutil.rmtree(old, ignore_errors=True)


class TestFreshRoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            print("SKIP: a fresh root needs root (chroot, mounts, namespaces)")
            sys.exit(77)
        pkgtest.need_tools("mmdebstrap", "unshare", "chroot", "ip", "cpack", "import",
                           "compare", "xdotool")

    def setUp(self):
        os.makedirs(CACHE, exist_ok=True)
        # One run at a time on this machine: the caches are shared.
        self.lock = open(os.path.join(CACHE, "lock"), "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        remove_leftovers()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, interrupted)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-freshroot-")
        self.root = os.path.join(self.tmp, "root")

    def tearDown(self):
        # The namespaces took their processes and mounts with them; make
        # sure, and never delete through a mount that outlived them.
        # A pid namespace ends asynchronously after its first process.
        deadline = time.monotonic() + 15
        while namespace_pids(self.root) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = namespace_pids(self.root)
        for pid in left:
            subprocess.run(["kill", "-KILL", str(pid)], capture_output=True)
        mounts = mounts_below(self.root)
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        if not mounts_below(self.root):
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.lock.close()
        self.assertEqual(left, [], "processes left in the fresh root")
        self.assertEqual(mounts, [], "mounts left in the fresh root")
        self.assertFalse(os.path.exists(self.tmp), "temporary root not removed")
        progress("cleaned up: no process, no mount, %s removed" % self.tmp)

    def test_install_and_screenshot(self):
        progress("start")
        tarball = root_tarball(self.tmp)
        with Step("building the .deb with cpack"):
            deb = pkgtest.build_deb(self.tmp)
        with Step("unpacking the root"):
            os.mkdir(self.root)
            subprocess.run(["tar", "-xpf", tarball, "-C", self.root, "--numeric-owner"],
                           check=True)
            shutil.copy(deb, os.path.join(self.root, "tmp"))
            resolv = os.path.join(self.root, "etc", "resolv.conf")
            if os.path.lexists(resolv):
                os.unlink(resolv)
            shutil.copy("/etc/resolv.conf", resolv)
            # Daemons that packages would start stay down, as in any chroot.
            policy = os.path.join(self.root, "usr", "sbin", "policy-rc.d")
            with open(policy, "w") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(policy, 0o755)
        os.makedirs(os.path.join(ARCHIVES, "partial"), exist_ok=True)
        os.makedirs(os.path.join(LISTS, "partial"), exist_ok=True)
        with Step("apt-get install ./%s in the fresh root" % os.path.basename(deb)):
            p = unshare(["sh", "-c", INSTALL_SCRIPT, "sh", self.root, ARCHIVES, LISTS, PATH,
                         os.path.basename(deb)], timeout=1500)
            log = p.stdout + p.stderr
            with open(os.path.join(self.tmp, "apt.log"), "w") as f:
                f.write(log)
            self.assertEqual(p.returncode, 0, "apt-get install failed:\n" + log)
            m = re.search(r"(\d+) newly installed", log)
            progress("apt installed %s packages" % (m.group(1) if m else "?"))
        status = os.path.join(self.root, "var", "lib", "dpkg", "status")
        with open(status) as f:
            installed = set(re.findall(r"(?m)^Package: (\S+)\nStatus: install ok installed",
                                       f.read()))
        for pkg in ("thindesk", "xvfb", "openbox", "xterm", "gstreamer1.0-plugins-good",
                    "gstreamer1.0-plugins-bad", "gstreamer1.0-libav"):
            self.assertIn(pkg, installed)

        out = os.path.join(self.tmp, "session")
        os.mkdir(out)
        with Step("agent --virtual-desktop and client screenshot over TLS in the root"):
            p = unshare(["--net", sys.executable, os.path.abspath(__file__), "--in-namespace",
                         self.root, out, repr(T0)], timeout=300)
            sys.stdout.write(p.stdout)
            self.assertEqual(p.returncode, 0, "the session in the root failed:\n"
                             + p.stdout + p.stderr)
        if KEEP:
            shutil.copytree(out, KEEP, dirs_exist_ok=True)
            shutil.copy(os.path.join(self.tmp, "apt.log"), KEEP)
        with open(os.path.join(out, "result.json")) as f:
            r = json.load(f)
        progress("agent's stderr:\n  " + "\n  ".join(r["agent_err"].splitlines()))
        # Over TLS only: the .vv names no plain port.
        self.assertRegex(r["vv"], r"(?m)^tls-port=\d+$")
        self.assertRegex(r["vv"], r"(?m)^secure-channels=all$")
        self.assertNotRegex(r["vv"], r"(?m)^port=")
        # The desktop is openbox with its xterm, not an empty one.
        self.assertNotIn("is not installed", r["agent_err"])
        self.assertIn("right-click its background", r["agent_err"])
        self.assertEqual(r["terminals"], 2, "the desktop menu opened no second terminal")
        self.assertEqual(r["client_rc"], 0, r["client_stderr"] + "\nagent:\n" + r["agent_err"])
        self.assertEqual(r["client_stderr"], "", "the client wrote to stderr")
        self.assertEqual(r["agent_rc"], 0, "the agent's exit on SIGTERM:\n" + r["agent_err"])
        got, src = os.path.join(out, "got.png"), os.path.join(out, "src.png")
        p = pkgtest.run(["identify", "-format", "%w %h", got], check=True)
        self.assertEqual(p.stdout.split(), [str(SIZE[0]), str(SIZE[1])])
        p = pkgtest.run(["compare", "-metric", "AE", got, src, "null:"])
        self.assertEqual(p.stderr.strip(), "0", "the screenshot differs from the X root")
        p = pkgtest.run(["identify", "-format", "%k", src], check=True)
        self.assertGreater(int(p.stdout), 10, "the X root is nearly uniform: no xterm on it")
        progress("screenshot %dx%d equals the X root (AE 0)" % SIZE)


def in_namespace(root, out, t0):
    """pid 1 of new mount, pid and network namespaces: the agent and the
    client run chrooted in @root; the reference grab is the host's. Writes
    out/result.json."""
    global T0
    T0 = float(t0)

    def sh(*argv):
        subprocess.run(argv, check=True)

    sh("mount", "-t", "proc", "proc", root + "/proc")
    sh("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620", "devpts",
       root + "/dev/pts")
    sh("mount", "--bind", root + "/dev/pts/ptmx", root + "/dev/ptmx")
    sh("mount", "-t", "tmpfs", "tmpfs", root + "/dev/shm")
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", root + "/run")
    os.makedirs(root + "/run/user/0", mode=0o700)
    sh("ip", "link", "set", "lo", "up")
    env = ["/usr/bin/env", "-i", "PATH=" + PATH, "HOME=/root", "LANG=C.UTF-8",
           "XDG_RUNTIME_DIR=/run/user/0"]
    agent_out, agent_err = root + "/tmp/agent.out", root + "/tmp/agent.err"
    t = time.monotonic()
    with open(agent_out, "w") as o, open(agent_err, "w") as e:
        agent = subprocess.Popen(["chroot", root, *env, "thindesk-agent",
                                  "--virtual-desktop=%dx%d" % SIZE],
                                 stdout=o, stderr=e, stdin=subprocess.DEVNULL)

    def read(path):
        with open(path) as f:
            return f.read()

    vv = "/run/user/0/thindesk/connect.vv"
    deadline = time.monotonic() + 60
    while not (os.path.exists(root + vv) and "serving" in read(agent_out)):
        if agent.poll() is not None or time.monotonic() > deadline:
            print("the agent did not start:\n" + read(agent_out) + read(agent_err))
            return 1
        time.sleep(0.1)
    m = re.search(r"started a virtual desktop on (:\d+)", read(agent_out) + read(agent_err))
    display = m.group(1)
    vv_text = read(root + vv)
    progress("agent serving %s after %.1f s" % (display, time.monotonic() - t))
    # openbox and the xterm settle.
    time.sleep(3)
    t = time.monotonic()
    p = subprocess.run(["chroot", root, *env, "thindesk", "--headless",
                        "--screenshot=/tmp/got.png", vv], capture_output=True, text=True,
                       timeout=120)
    progress("client exited %d after %.1f s" % (p.returncode, time.monotonic() - t))
    if os.path.exists(root + "/tmp/got.png"):
        shutil.copy(root + "/tmp/got.png", out)
    # X's abstract socket is this network namespace's: the host's import
    # reaches the root's display, and nothing is installed into the root.
    subprocess.run(["import", "-display", display, "-window", "root", out + "/src.png"],
                   check=True, capture_output=True)
    terminals = open_menu_terminal(display)
    progress("%d terminals after the desktop menu's \"Terminal emulator\"" % terminals)
    agent.terminate()
    agent.wait(20)
    with open(out + "/result.json", "w") as f:
        json.dump({"client_rc": p.returncode, "client_stderr": p.stderr,
                   "client_stdout": p.stdout, "agent_rc": agent.returncode,
                   "agent_err": read(agent_err), "vv": vv_text, "terminals": terminals}, f)
    return 0


def open_menu_terminal(display):
    """The root menu's first entry (x-terminal-emulator, from the root's
    packages), through the host's xdotool; returns how many xterm windows
    the display then shows."""
    env = dict(os.environ, DISPLAY=display)

    def xdo(*args):
        return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                              timeout=20).stdout

    xdo("mousemove", str(SIZE[0] - 20), "20")
    time.sleep(0.2)
    xdo("click", "3")
    time.sleep(0.5)
    xdo("key", "Down", "Return")
    deadline = time.monotonic() + 15
    while True:
        count = len(xdo("search", "--class", "xterm").split())
        if count >= 2 or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-namespace"]:
        sys.exit(in_namespace(*sys.argv[2:5]))
    pkgtest.main()
