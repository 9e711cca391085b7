#!/usr/bin/python3
"""Builds the guest tier's boot files from Debian packages only.

    build-image.py --out DIR --add PATH [--add PATH...]

In DIR it leaves:
  vmlinux         the uncompressed kernel of Debian's linux-image-amd64, extracted
                  once from its vmlinuz (QEMU boots it through PVH, about twice as
                  fast under TCG as the compressed bzImage)
  base.cpio       cached: busybox-static, the kernel modules the scenarios need
                  with their dependency closure (depmod -b on the subset), /etc
  overlay.cpio    rebuilt on every call: /init and the files given with --add,
                  each with the shared libraries ldd finds for it
  initrd.img      base.cpio + overlay.cpio (the kernel unpacks both in turn, so
                  the overlay's files win)
  kernel-release  the kernel's release string (6.1.0-N-amd64)

The kernel package is fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into DIR; it is never installed on the host. When the kernel or
busybox cannot be had, this exits with 77 after printing `SKIP: reason`.
"""

import argparse
import fcntl
import glob
import gzip
import hashlib
import lzma
import os
import shutil
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

# Modules the scenarios load, by name; their dependencies come from depmod.
MODULES = ["virtio_pci", "virtio_net", "evdev", "uinput", "usbip-core", "vhci-hcd",
           "usb-storage", "sr_mod", "sd_mod"]
BASE_FORMAT = "4"  # bump when the base archive's layout changes


class Skip(Exception):
    pass


def log(msg):
    print("build-image: " + msg, flush=True)


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


# --- cpio (newc) -------------------------------------------------------------

class Cpio:
    """Writes a newc archive, the format the kernel unpacks as initramfs.
    Device nodes need no privileges this way."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(name) + 1, 0))
        self.ino += 1
        self.f.write(hdr.encode() + name.encode() + b"\0")
        self._pad()
        self.f.write(data)
        self._pad()

    def _pad(self):
        self.f.write(b"\0" * (-self.f.tell() % 4))

    def dir(self, name):
        name = name.strip("/")
        if not name or name in self.dirs:
            return
        self.dir(os.path.dirname(name))
        self.dirs.add(name)
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFREG | mode, data)

    def copy(self, name, src, mode=None):
        with open(src, "rb") as f:
            data = f.read()
        self.file(name, data, mode if mode is not None else os.stat(src).st_mode & 0o777)

    def symlink(self, name, target):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.write(b"\0" * (-self.f.tell() % 512))
        self.f.close()


# --- the kernel --------------------------------------------------------------

def kernel_package_name():
    """The versioned package linux-image-amd64 depends on (linux-image-6.1.0-N-amd64)."""
    for attempt in range(2):
        p = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                           text=True)
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("Depends:") and "linux-image-" in line:
                return line.split()[1]
        if attempt == 0 and os.geteuid() == 0 and shutil.which("apt-get"):
            log("apt does not know linux-image-amd64: running apt-get update")
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
    raise Skip("the kernel package linux-image-amd64 is not known to apt here")


def fetch_kernel(out):
    """Unpacks the kernel package into out/kernel/root; returns the release."""
    kdir = os.path.join(out, "kernel")
    done = os.path.join(kdir, "release")
    if os.path.exists(done):
        with open(done) as f:
            return f.read().strip()
    if not shutil.which("dpkg-deb") or not shutil.which("apt-get"):
        raise Skip("dpkg-deb or apt-get missing: cannot unpack the kernel package")
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    pkg = os.environ.get("THINDESK_GUEST_KERNEL_DEB")
    if not pkg:
        name = kernel_package_name()
        cached = sorted(glob.glob("/var/cache/apt/archives/%s_*_amd64.deb" % name))
        if cached:
            pkg = cached[-1]
        else:
            log("downloading %s (apt-get download; not installed on the host)" % name)
            p = subprocess.run(["apt-get", "download", name], cwd=kdir, capture_output=True,
                               text=True)
            debs = glob.glob(os.path.join(kdir, "*.deb"))
            if p.returncode != 0 or not debs:
                raise Skip("apt-get download %s failed: %s" % (name, p.stderr.strip()[-300:]))
            pkg = debs[0]
    log("unpacking " + os.path.basename(pkg))
    root = os.path.join(kdir, "root")
    run(["dpkg-deb", "-x", pkg, root])
    releases = os.listdir(os.path.join(root, "lib", "modules"))
    if len(releases) != 1:
        raise RuntimeError("expected one kernel release in %s, found %s" % (pkg, releases))
    for deb in glob.glob(os.path.join(kdir, "*.deb")):
        os.unlink(deb)
    with open(done, "w") as f:
        f.write(releases[0] + "\n")
    return releases[0]


def extract_vmlinux(vmlinuz, dest):
    """Finds the compressed payload in a bzImage and writes the ELF inside it.

    Like the kernel's scripts/extract-vmlinux: try each compression magic at
    each offset where it occurs, keep the first result that is an ELF file."""
    with open(vmlinuz, "rb") as f:
        image = f.read()

    def xz(data):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)

    def gz(data):
        return gzip.GzipFile(fileobj=__import__("io").BytesIO(data)).read1(1 << 40)

    def zstd(data):
        if not shutil.which("zstd"):
            raise ValueError("no zstd")
        return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True).stdout

    for magic, fn in ((b"\xfd7zXZ\x00", xz), (b"\x1f\x8b\x08", gz), (b"\x28\xb5\x2f\xfd", zstd)):
        pos = image.find(magic)
        while pos >= 0:
            try:
                out = fn(image[pos:])
            except Exception:
                out = b""
            if out[:4] == b"\x7fELF":
                tmp = dest + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(out)
                os.replace(tmp, dest)
                return
            pos = image.find(magic, pos + 1)
    raise RuntimeError("no compressed ELF payload found in " + vmlinuz)


def module_closure(root, release):
    """Module files (relative to root) of MODULES and what they need."""
    moddir = os.path.join(root, "lib", "modules", release)
    if not os.path.exists(os.path.join(moddir, "modules.dep")):
        run(["depmod", "-b", root, release])
    files = []
    for name in MODULES:
        p = run(["modprobe", "-d", root, "-S", release, "--show-depends", name])
        for line in p.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "insmod":
                rel = os.path.relpath(parts[1], root)
                if rel not in files:
                    files.append(rel)
    return files


# --- the base archive ----------------------------------------------------------

ETC = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
    "etc/hosts": "127.0.0.1 localhost\n10.0.2.15 guest\n",
    "etc/hostname": "guest\n",
    "etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    "etc/resolv.conf": "",
}


def busybox_path():
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(p):
            # Only a static busybox runs in a guest without its libraries.
            if subprocess.run(["ldd", p], capture_output=True, text=True).returncode == 0:
                continue
            return p
    raise Skip("no static busybox (install busybox-static)")


def base_key(release, busybox, script_hash):
    h = hashlib.sha256()
    for part in (BASE_FORMAT, release, script_hash, " ".join(MODULES)):
        h.update(part.encode() + b"\0")
    st = os.stat(busybox)
    h.update(("%d %d" % (st.st_size, st.st_mtime)).encode())
    return h.hexdigest()


def build_base(out, release, busybox):
    root = os.path.join(out, "kernel", "root")
    mods = module_closure(root, release)
    # depmod -b on the subset, in a staging tree.
    stage = os.path.join(out, "modstage")
    shutil.rmtree(stage, ignore_errors=True)
    for rel in mods:
        os.makedirs(os.path.join(stage, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(os.path.join(root, rel), os.path.join(stage, rel))
    for meta in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
        src = os.path.join(root, "lib", "modules", release, meta)
        if os.path.exists(src):
            shutil.copy2(src, os.path.join(stage, "lib", "modules", release, meta))
    run(["depmod", "-b", stage, release])

    tmp = os.path.join(out, "base.cpio.tmp")
    c = Cpio(tmp)
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "run", "tmp", "root",
              "var", "mnt"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.copy("bin/busybox", busybox)
    applets = run([busybox, "--list-full"]).stdout.split()
    for a in applets:
        if a != "bin/busybox" and a != "linuxrc":
            c.symlink(a, "/bin/busybox")
    for name, text in ETC.items():
        c.file(name, text.encode())
    moddir = os.path.join("lib", "modules", release)
    for dirpath, _, names in os.walk(os.path.join(stage, moddir)):
        for n in sorted(names):
            src = os.path.join(dirpath, n)
            c.copy(os.path.relpath(src, stage), src)
    c.close()
    os.replace(tmp, os.path.join(out, "base.cpio"))
    shutil.rmtree(stage, ignore_errors=True)
    log("base archive: %d modules, %d busybox applets" % (len(mods), len(applets)))


# --- the overlay -------------------------------------------------------------

def shared_libraries(path):
    """Absolute paths of the libraries (and loader) ldd lists for path."""
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    if p.returncode != 0:  # statically linked
        return []
    libs = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if "=>" in parts:
            i = parts.index("=>")
            if i + 1 < len(parts) and parts[i + 1].startswith("/"):
                libs.append(parts[i + 1])
            elif "not" in parts:
                raise RuntimeError("%s: library not found: %s" % (path, line.strip()))
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


def build_overlay(out, adds):
    tmp = os.path.join(out, "overlay.cpio.tmp")
    c = Cpio(tmp)
    with open(os.path.join(HERE, "init.sh"), "rb") as f:
        c.file("init", f.read(), 0o755)
    seen = set()
    for src in adds:
        c.copy("usr/bin/" + os.path.basename(src), src)
        for lib in shared_libraries(src):
            if lib not in seen:
                seen.add(lib)
                c.copy(lib, os.path.realpath(lib))
    c.close()
    os.replace(tmp, os.path.join(out, "overlay.cpio"))
    return len(seen)


def build(out, adds):
    os.makedirs(out, exist_ok=True)
    release = fetch_kernel(out)
    root = os.path.join(out, "kernel", "root")
    vmlinux = os.path.join(out, "vmlinux")
    if not os.path.exists(vmlinux):
        log("extracting vmlinux from vmlinuz-" + release)
        extract_vmlinux(os.path.join(root, "boot", "vmlinuz-" + release), vmlinux)
    busybox = busybox_path()
    with open(os.path.abspath(__file__), "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()
    key = base_key(release, busybox, script_hash)
    key_file = os.path.join(out, "base.key")
    have = open(key_file).read() if os.path.exists(key_file) else ""
    if have != key or not os.path.exists(os.path.join(out, "base.cpio")):
        build_base(out, release, busybox)
        with open(key_file, "w") as f:
            f.write(key)
    nlibs = build_overlay(out, adds)
    tmp = os.path.join(out, "initrd.img.tmp")
    with open(tmp, "wb") as dst:
        for part in ("base.cpio", "overlay.cpio"):
            with open(os.path.join(out, part), "rb") as src:
                shutil.copyfileobj(src, dst)
    os.replace(tmp, os.path.join(out, "initrd.img"))
    with open(os.path.join(out, "kernel-release"), "w") as f:
        f.write(release + "\n")
    log("kernel %s, initrd %.1f MB (%d shared libraries)" % (
        release, os.path.getsize(os.path.join(out, "initrd.img")) / 1e6, nlibs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--add", action="append", default=[], help="a binary for /usr/bin")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # One builder at a time per directory (ctest -j runs scenarios in parallel).
    with open(os.path.join(args.out, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            build(os.path.abspath(args.out), args.add)
        except Skip as e:
            print("SKIP: " + str(e), flush=True)
            return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
