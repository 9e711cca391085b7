/* tls: the agent's TLS identity (key and certificate) in QEMU's x509 layout.
 *
 * A directory holds ca-cert.pem, server-cert.pem and server-key.pem. When the
 * agent uses its own per-user directory and the files are missing, it creates
 * a P-256 key and a self-signed certificate (valid 10 years) that is also its
 * own CA, so a client pins it with ca= and host-subject=.
 *
 * Per-clone identity: beside a key it made itself the agent records the
 * machine's id (/etc/machine-id) in "machine-id" (0600). When a later start
 * finds a different id (a VM cloned from a golden image), or no record beside
 * a certificate the agent made itself (self-issued, O=thindesk), it makes a new
 * key and certificate, so clones never share a key. Without a machine id
 * (containers) the key is kept. An admin's --x509-dir is never touched. */
#pragma once

#include <stdbool.h>

struct tls_identity;

/* OpenSSL cipher string spice-server gets: TLS 1.2 with forward-secret AEAD
 * suites only; security level 2 also rules out TLS 1.0/1.1 handshakes (they
 * sign with SHA-1/MD5). TLS 1.3 suites are OpenSSL's defaults (all AEAD). */
#define TLS_CIPHERS                                                                                \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:@SECLEVEL=2"

/* The per-user default: $XDG_CONFIG_HOME/thindesk/tls (new string). */
char *tls_default_dir(void);

/* The machine's id from @text (/etc/machine-id's content): trimmed; NULL
 * (unknown) when empty or systemd's "uninitialized". New string. */
char *tls_machine_id_parse(const char *text);

/* Whether the agent's own key must be made anew: @recorded is the id recorded
 * beside it (NULL: no record), @current this machine's (NULL: unknown, keep). */
bool tls_machine_id_changed(const char *recorded, const char *current);

/* Loads the identity in @dir. With @create, missing files are generated
 * (directory 0700, key 0600) and, on a cloned machine, replaced (see above);
 * without it (an admin's --x509-dir), missing or
 * unreadable files are an error. Returns NULL and sets *ret_error. */
struct tls_identity *tls_identity_load(const char *dir, bool create, char **ret_error);
void tls_identity_destroy(struct tls_identity *id);

const char *tls_identity_ca_file(const struct tls_identity *id);
const char *tls_identity_cert_file(const struct tls_identity *id);
const char *tls_identity_key_file(const struct tls_identity *id);
/* SHA-256 of the certificate's DER, as AA:BB:... (95 characters). */
const char *tls_identity_fingerprint(const struct tls_identity *id);
/* The subject in spice-gtk's host-subject form: "O=thindesk,CN=host". */
const char *tls_identity_subject(const struct tls_identity *id);
/* The CA certificate(s), PEM text, for a .vv file's ca= key. */
const char *tls_identity_ca_pem(const struct tls_identity *id);
