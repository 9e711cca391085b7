"""Runs the thindesk client (build/client/thindesk) for integration tests:
headless runs to completion, GUI clients on their own X display, and the
helpers to find and grab the client's window."""

import os
import subprocess
import tempfile

import tdtest

CLIENT = os.environ.get("THINDESK_CLIENT", os.path.join(tdtest.BUILD, "client", "thindesk"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def client_env(extra=None):
    e = dict(os.environ)
    e["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="thindesk-client-cfg-")
    e.pop("DISPLAY", None)
    # GTK's accessibility bridge talks to a session bus the tests do not run
    # and leaks what it sets up (seen by LeakSanitizer); the client is tested,
    # not the bridge.
    e["NO_AT_BRIDGE"] = "1"
    # Sanitizer builds: whole stacks, so that tests/lsan.supp can name the
    # library that leaked (as tdtest does for the agent).
    e.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(SOURCE, "tests", "lsan.supp"))
    # The table of the suppressions it used is statistics, not a report; it
    # shows whenever GLib's quark table outgrew its first block (it keeps the
    # old one, under _dl_init), which loading GStreamer does.
    e["LSAN_OPTIONS"] += ":print_suppressions=0"
    e.setdefault("ASAN_OPTIONS", "fast_unwind_on_malloc=0")
    if extra:
        e.update(extra)
    return e


def password_file(tmp, password):
    path = os.path.join(tmp, "pw")
    with open(path, "w") as f:
        f.write(password + "\n")
    return path


def run(args, timeout=60, env=None):
    """Runs the client to its end; returns the CompletedProcess (text)."""
    return subprocess.run([CLIENT, *args], capture_output=True, text=True, timeout=timeout,
                          env=client_env(env), stdin=subprocess.DEVNULL)


def start(args, display=None, env=None, tmp=None):
    """Starts the client in the background; stdout/stderr go to files in @tmp."""
    extra = dict(env or {})
    if display:
        extra["DISPLAY"] = display
    tmp = tmp or tempfile.mkdtemp(prefix="thindesk-client-")
    out = open(os.path.join(tmp, "client.out"), "w")
    err = open(os.path.join(tmp, "client.err"), "w")
    p = subprocess.Popen([CLIENT, *args], stdout=out, stderr=err, env=client_env(extra),
                         stdin=subprocess.DEVNULL)
    p.out_path, p.err_path = out.name, err.name
    out.close()
    err.close()
    return p


SANITIZER_NOISE = ("==", "False positive error reports may follow",
                   "For details see https://github.com/google/sanitizers")


def without_suppression_table(lines):
    """Drops LeakSanitizer's table of the suppressions (tests/lsan.supp) it
    used, a dashed block that starts with "Suppressions used:". A leak
    that was not suppressed is a report of its own and stays."""
    out, i = [], 0
    while i < len(lines):
        if (lines[i].startswith("-----") and i + 1 < len(lines)
                and lines[i + 1] == "Suppressions used:"):
            j = i + 2
            while j < len(lines) and not lines[j].startswith("-----"):
                j += 1
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    return out


def messages(stderr):
    """The client's own stderr lines, without the notes a sanitizer build's
    runtime prints (ASan warns about spice-gtk's coroutines on every run;
    LeakSanitizer lists the suppressions it used)."""
    return [l for l in without_suppression_table(stderr.strip().splitlines())
            if l.strip() and not l.startswith(SANITIZER_NOISE)]


def read(path):
    with open(path) as f:
        return f.read()


def window_geometry(display, name="thindesk"):
    """(x, y, w, h) of the first mapped window whose name contains @name."""
    env = dict(os.environ, DISPLAY=display)
    p = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=env,
                       capture_output=True, text=True)
    ids = p.stdout.split()
    if not ids:
        return None
    g = subprocess.run(["xdotool", "getwindowgeometry", "--shell", ids[0]], env=env,
                       capture_output=True, text=True)
    v = dict(line.split("=", 1) for line in g.stdout.split() if "=" in line)
    try:
        return int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"]), ids[0]
    except KeyError:
        return None


def grab_region(display, x, y, w, h, out):
    subprocess.run(["import", "-display", display, "-window", "root", "-crop",
                    "%dx%d+%d+%d" % (w, h, x, y), "+repage", out], check=True,
                   capture_output=True)


def input_injection_merged():
    """True once the agent has an input injector (input/ has sources)."""
    folder = os.path.join(SOURCE, "input")
    return any(n.endswith(".c") for n in os.listdir(folder))
