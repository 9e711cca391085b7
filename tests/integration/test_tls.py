#!/usr/bin/python3
"""TLS by default: a self-signed certificate made at first start, pinned by
spice-gtk (ca-file + host-subject, as remote-viewer's .vv file does), TLS 1.2+
only with strong ciphers (openssl s_client), and no unencrypted listening on
a network address unless --allow-plain. Every connection goes to 127.0.0.1
(network addresses are bound as 0.0.0.0 and reached through loopback)."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


def gi_available():
    p = subprocess.run(["/usr/bin/python3", "-c", "import spiceclient"], capture_output=True,
                       cwd=tdtest.HERE)
    return p.returncode == 0


def s_client(port, *args):
    """Runs openssl s_client against 127.0.0.1:port; returns (ok, output).
    ok means a handshake completed (a cipher was agreed)."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, *args],
                       input="", capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    m = re.search(r"Cipher is (\S+)", out)
    return bool(m) and m.group(1) != "(NONE)", out


def openssl_fingerprint(pem):
    p = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
                       capture_output=True, text=True, check=True)
    return p.stdout.strip().split("=", 1)[1]


def make_other_ca(directory):
    """A certificate the agent does not have, for 'wrong CA' checks."""
    key = os.path.join(directory, "other-key.pem")
    crt = os.path.join(directory, "other-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days",
                    "2", "-subj", "/O=thindesk/CN=impostor"], check=True, capture_output=True)
    return key, crt


def banner_value(agent, label):
    m = tdtest.wait_for(lambda: re.search(label + r": (.+)", agent.stdout()), 10,
                        what=label + " in the banner")
    return m.group(1).strip()


def connect(port, password, timeout=20, **kw):
    """Connects a spice-gtk client in a child process (Debian's python3 with
    GI); returns (frame received, errors, text)."""
    code = """
import sys, json, spiceclient
kw = json.loads(sys.argv[1])
c = spiceclient.Client(kw.pop("port"), password=kw.pop("password"), **kw)
c.wait(lambda: c.primary() is not None or c.errors, %d)
print("RESULT", c.primary() is not None, [str(e) for e in c.errors])
c.close()
""" % timeout
    import json
    args = dict(kw, port=port, password=password)
    p = subprocess.run(["/usr/bin/python3", "-c", code, json.dumps(args)], capture_output=True,
                       text=True, timeout=timeout + 30, cwd=tdtest.HERE)
    m = re.search(r"RESULT (True|False) (.*)", p.stdout)
    if not m:
        raise AssertionError("client failed: %s %s" % (p.stdout, p.stderr))
    return m.group(1) == "True", m.group(2), p.stdout + p.stderr


class TlsTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "openssl")
        self.x = tdtest.Xvfb(640, 480)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-tls-")
        self.pwfile = os.path.join(self.tmp, "pw")
        with open(self.pwfile, "w") as f:
            f.write("pw-for-refusals\n")

    def tearDown(self):
        self.x.stop()

    def test_first_start_creates_private_certificate_and_prints_it(self):
        config = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "config")}
        with tdtest.Agent(self.x.display, env=config) as agent:
            fp = banner_value(agent, "certificate SHA-256 fingerprint")
            subject = banner_value(agent, "host-subject")
            self.assertEqual(os.stat(agent.tls_dir).st_mode & 0o777, 0o700)
            key = os.path.join(agent.tls_dir, "server-key.pem")
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
            self.assertEqual(fp, openssl_fingerprint(agent.ca_file))
            self.assertEqual(fp, openssl_fingerprint(os.path.join(agent.tls_dir,
                                                                  "server-cert.pem")))
            self.assertRegex(subject, r"^O=thindesk,CN=\S+$")
            # The .vv file pins the certificate for remote-viewer.
            vv = re.search(r"remote-viewer (\S+\.vv)", agent.stdout()).group(1)
            with open(vv) as f:
                text = f.read()
            self.assertIn("tls-port=%d\n" % agent.tls_port, text)
            self.assertIn("host-subject=%s\n" % subject, text)
            self.assertIn("secure-channels=all\n", text)
            with open(agent.ca_file) as f:
                pem = f.read()
            self.assertIn("ca=" + pem.strip().replace("\n", "\\n"), text)
            # The same certificate is served on the TLS port.
            ok, out = s_client(agent.tls_port, "-showcerts")
            self.assertTrue(ok, out)
            served = os.path.join(self.tmp, "served.pem")
            with open(served, "w") as f:
                f.write(re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                                  out, re.S).group(0) + "\n")
            self.assertEqual(openssl_fingerprint(served), fp)
            fingerprint_before = fp
        # A second start keeps the same identity (clients stay pinned).
        with tdtest.Agent(self.x.display, env=config) as again:
            self.assertEqual(banner_value(again, "certificate SHA-256 fingerprint"),
                             fingerprint_before)

    def test_cloned_machine_gets_a_new_key(self):
        """Per-clone identity: the machine id is recorded beside the key;
        another id (a cloned VM) means a new key, no id (a container) keeps it."""
        config = os.path.join(self.tmp, "config")
        idfile = os.path.join(self.tmp, "machine-id")
        env = {"XDG_CONFIG_HOME": config, "THINDESK_MACHINE_ID_FILE": idfile}
        record = os.path.join(config, "thindesk", "tls", "machine-id")
        line = ("regenerated the TLS key and certificate: this machine's id changed "
                "(a cloned VM?)")

        def start(machine_id):
            if machine_id is None:
                if os.path.exists(idfile):
                    os.unlink(idfile)
            else:
                with open(idfile, "w") as f:
                    f.write(machine_id + "\n")
            with tdtest.Agent(self.x.display, env=env) as agent:
                fp = banner_value(agent, "certificate SHA-256 fingerprint")
                self.assertEqual(fp, openssl_fingerprint(agent.ca_file))
                return fp, agent.stderr()

        golden = "0123456789abcdef0123456789abcdef"
        fp, err = start(golden)
        self.assertNotIn(line, err)
        self.assertEqual(os.stat(record).st_mode & 0o777, 0o600)
        with open(record) as f:
            self.assertEqual(f.read(), golden + "\n")

        again, err = start(golden)
        self.assertEqual(again, fp)
        self.assertNotIn(line, err)

        clone = "fedcba9876543210fedcba9876543210"
        cloned, err = start(clone)
        self.assertNotEqual(cloned, fp)
        self.assertEqual(err.count(line), 1, err)
        with open(record) as f:
            self.assertEqual(f.read(), clone + "\n")

        # No id (a container): the key stays, on every start.
        for _ in range(2):
            kept, err = start(None)
            self.assertEqual(kept, cloned)
            self.assertNotIn(line, err)

        # An admin's own certificate in the agent's folder, without a record:
        # left alone.
        tls_dir = os.path.dirname(record)
        os.unlink(record)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True,  # noqa: E731
                                        cwd=tls_dir)
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "server-key.pem", "-out", "server-cert.pem", "-days", "2",
            "-subj", "/O=Example/CN=desk-17")
        os.chmod(os.path.join(tls_dir, "server-key.pem"), 0o600)
        run("cp", "server-cert.pem", "ca-cert.pem")
        admin = openssl_fingerprint(os.path.join(tls_dir, "server-cert.pem"))
        kept, err = start(clone)
        self.assertEqual(kept, admin)
        self.assertNotIn(line, err)
        self.assertFalse(os.path.exists(record))

    def test_tls_versions_and_ciphers(self):
        with tdtest.Agent(self.x.display) as agent:
            # The client is made willing (security level 0): the refusal is the server's.
            ok, out = s_client(agent.tls_port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertFalse(ok, "TLS 1.1 was accepted:\n" + out)
            ok, out = s_client(agent.tls_port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertFalse(ok, "TLS 1.0 was accepted:\n" + out)
            ok, out = s_client(agent.tls_port, "-tls1_2")
            self.assertTrue(ok, out)
            self.assertIn("Protocol  : TLSv1.2", out)
            ok, out = s_client(agent.tls_port, "-tls1_3")
            self.assertTrue(ok, out)
            # Weak TLS 1.2 suites: static RSA key exchange, CBC with SHA-1, 3DES, RC4.
            for weak in ("AES128-SHA", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
                         "ECDHE-ECDSA-AES128-SHA", "DES-CBC3-SHA", "RC4-SHA"):
                ok, out = s_client(agent.tls_port, "-tls1_2", "-cipher", weak + "@SECLEVEL=0")
                self.assertFalse(ok, "weak cipher %s was accepted:\n%s" % (weak, out))
            # The agent keeps serving after refused handshakes.
            ok, out = s_client(agent.tls_port, "-tls1_2")
            self.assertTrue(ok, out)

    def test_spice_gtk_pins_certificate(self):
        if not gi_available():
            self.skipTest("python3 GI with SpiceClientGLib is missing")
        key, other = make_other_ca(self.tmp)
        with tdtest.Agent(self.x.display, args=["--listen=off"]) as agent:
            subject = banner_value(agent, "host-subject")
            ok, errs, text = connect(None, agent.password, tls_port=agent.tls_port,
                                     ca_file=agent.ca_file, host_subject=subject)
            self.assertTrue(ok, text)
            tdtest.wait_for(lambda: "connected over TLS" in agent.stderr(), 10,
                            what="the agent to log a TLS client")
            # Wrong subject: refused by the client's verification.
            ok, errs, text = connect(None, agent.password, tls_port=agent.tls_port,
                                     ca_file=agent.ca_file, host_subject="O=thindesk,CN=impostor")
            self.assertFalse(ok, text)
            self.assertIn("ERROR_TLS", errs)
            # Wrong CA with the right subject: refused too.
            ok, errs, text = connect(None, agent.password, tls_port=agent.tls_port,
                                     ca_file=other, host_subject=subject)
            self.assertFalse(ok, text)
            self.assertIn("ERROR_TLS", errs)
            # Right certificate, wrong password.
            ok, errs, text = connect(None, "wrong", tls_port=agent.tls_port,
                                     ca_file=agent.ca_file, host_subject=subject)
            self.assertFalse(ok, text)
            self.assertIn("ERROR_AUTH", errs)
            # And a good client still gets in afterwards.
            ok, errs, text = connect(None, agent.password, tls_port=agent.tls_port,
                                     ca_file=agent.ca_file, host_subject=subject)
            self.assertTrue(ok, text)

    def test_remote_viewer_verifies_with_agent_vv_file(self):
        tdtest.skip_unless_tools("remote-viewer", "import", "xsetroot")
        self.x.check(["xsetroot", "-solid", "#2a6f4e"])
        self.x.run(["xterm", "-geometry", "40x10+50+40", "-e", "sh", "-c",
                    "echo thindesk over TLS; sleep 600"])
        import time
        time.sleep(1.5)
        with tdtest.Xvfb(1280, 900) as view_x, \
                tdtest.Agent(self.x.display, args=["--listen=off"]) as agent:
            vv = re.search(r"remote-viewer (\S+\.vv)", agent.stdout()).group(1)
            viewer = view_x.run(["remote-viewer", vv])
            src = os.path.join(self.tmp, "src.ppm")
            shown = os.path.join(self.tmp, "shown.ppm")
            tdtest.grab_root(self.x.display, src)

            def found():
                if viewer.poll() is not None:
                    raise AssertionError("remote-viewer exited with %s" % viewer.returncode)
                tdtest.grab_root(view_x.display, shown)
                return tdtest.find_subimage(shown, src)
            tdtest.wait_for(found, 60, interval=0.5,
                            what="the desktop in remote-viewer's window over TLS")
            self.assertIn("connected over TLS", agent.stderr())
            # The same file with another certificate pinned is refused.
            with open(vv) as f:
                text = f.read()
            _, other = make_other_ca(self.tmp)
            with open(other) as f:
                other_pem = f.read().strip().replace("\n", "\\n")
            bad = os.path.join(self.tmp, "bad.vv")
            with open(bad, "w") as f:
                f.write(re.sub(r"^ca=.*$", lambda m: "ca=" + other_pem, text, flags=re.M))
            stop_process = tdtest.stop_process
            stop_process(viewer)
            before = agent.stderr().count("connected over TLS")
            bad_viewer = view_x.run(["remote-viewer", bad])
            time.sleep(8)
            stop_process(bad_viewer)
            self.assertEqual(agent.stderr().count("connected over TLS"), before,
                             "remote-viewer connected with a wrong CA")
            self.assertIn("rejected certificate", agent.stderr())

    def test_plain_refused_on_network_address(self):
        port = tdtest.free_port()
        tls = tdtest.free_port()
        p = subprocess.run([tdtest.AGENT, "--display=" + self.x.display,
                            "--listen=0.0.0.0:%d" % port, "--tls-listen=0.0.0.0:%d" % tls,
                            "--password-file=" + self.pwfile], capture_output=True, text=True,
                           timeout=30, env=dict(os.environ, XDG_CONFIG_HOME=self.tmp))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("refusing unencrypted --listen on 0.0.0.0", p.stderr)
        self.assertIn("--allow-plain", p.stderr)
        self.assertFalse(tdtest.port_open(port))
        self.assertFalse(tdtest.port_open(tls))

    def test_network_tls_only_refuses_plain_clients(self):
        if not gi_available():
            self.skipTest("python3 GI with SpiceClientGLib is missing")
        tls = tdtest.free_port()
        with tdtest.Agent(self.x.display,
                          args=["--listen=off", "--tls-listen=0.0.0.0:%d" % tls]) as agent:
            self.assertFalse(tdtest.port_open(agent.port), "a plain port is open")
            subject = banner_value(agent, "host-subject")
            # A plain SPICE client on the TLS port gets nothing.
            rc, text = tdtest.spicy_screenshot(tls, agent.password,
                                               os.path.join(self.tmp, "x.ppm"), timeout=20)
            self.assertNotEqual(rc, 0, text)
            # Without secure-channels the client learns from the server that
            # every channel needs TLS, and it connects them all over TLS.
            ok, errs, text = connect(None, agent.password, tls_port=tls,
                                     ca_file=agent.ca_file, host_subject=subject)
            self.assertTrue(ok, text)
            self.assertIn("connected over TLS", agent.stderr())

    def test_allow_plain_on_network_address(self):
        port = tdtest.free_port()
        with tdtest.Agent(self.x.display, args=["--listen=0.0.0.0:%d" % port,
                                                "--allow-plain"]) as agent:
            out = os.path.join(self.tmp, "shot.ppm")
            rc, text = tdtest.spicy_screenshot(port, agent.password, out)
            self.assertEqual(rc, 0, text)

    def test_tls_port_in_use_is_reported(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            busy = s.getsockname()[1]
            p = subprocess.run([tdtest.AGENT, "--display=" + self.x.display,
                                "--listen=127.0.0.1:%d" % tdtest.free_port(),
                                "--tls-listen=127.0.0.1:%d" % busy, "--password-file=" + self.pwfile],
                               capture_output=True, text=True, timeout=30,
                               env=dict(os.environ, XDG_CONFIG_HOME=self.tmp))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot listen on 127.0.0.1:%d: Address already in use" % busy, p.stderr)
        self.assertIn("--tls-listen=ADDR:PORT", p.stderr)

    def test_admin_x509_dir(self):
        d = os.path.join(self.tmp, "x509")
        os.mkdir(d)
        # Missing files: a clear error.
        p = subprocess.run([tdtest.AGENT, "--display=" + self.x.display, "--x509-dir=" + d,
                            "--listen=127.0.0.1:%d" % tdtest.free_port(),
                            "--tls-listen=127.0.0.1:%d" % tdtest.free_port()],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("must hold ca-cert.pem, server-cert.pem and server-key.pem", p.stderr)
        # QEMU's layout, made with the openssl tool: a CA and a server cert it signs.
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem",
            "-out", "ca-cert.pem", "-days", "2", "-subj", "/O=Example/CN=Example CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem",
            "-out", "server.csr", "-subj", "/C=DE/O=Example, Inc./CN=desk-17")
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca-cert.pem", "-CAkey",
            "ca-key.pem", "-CAcreateserial", "-out", "server-cert.pem", "-days", "2")
        with tdtest.Agent(self.x.display, args=["--x509-dir=" + d]) as agent:
            self.assertEqual(banner_value(agent, "certificate SHA-256 fingerprint"),
                             openssl_fingerprint(os.path.join(d, "server-cert.pem")))
            subject = banner_value(agent, "host-subject")
            self.assertEqual(subject, "C=DE,O=Example\\, Inc.,CN=desk-17")
            self.assertFalse(os.path.exists(agent.tls_dir), "created a certificate anyway")
            if gi_available():
                ok, errs, text = connect(None, agent.password, tls_port=agent.tls_port,
                                         ca_file=os.path.join(d, "ca-cert.pem"),
                                         host_subject=subject)
                self.assertTrue(ok, text)


if __name__ == "__main__":
    tdtest.main()
