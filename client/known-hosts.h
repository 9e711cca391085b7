/* known-hosts: trust on first use for servers without a CA.
 *
 * The first time the client meets a TLS server it pins the server
 * certificate's public key in $XDG_CONFIG_HOME/thindesk/known_hosts; later
 * connections must present the same key. File format, one server a line,
 * '#' starts a comment:
 *
 *     HOST PORT sha256:64-HEX-DIGITS BASE64-KEY
 *
 * BASE64-KEY is the DER SubjectPublicKeyInfo whose SHA-256 is the middle
 * field (a line where they disagree is malformed). Lines written before
 * thindesk kept the whole key have no BASE64-KEY: they still pin the
 * fingerprint, and the client adds the key once it has seen it again.
 *
 * Pure C on GLib; the file is read and written whole. */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct known_hosts;

enum known_hosts_verdict {
    KNOWN_HOSTS_NEW,      /* never seen: pin it (trust on first use) */
    KNOWN_HOSTS_MATCH,    /* pinned, same key */
    KNOWN_HOSTS_MISMATCH, /* pinned, different key: refuse */
};

struct known_hosts *known_hosts_create(void);
void known_hosts_destroy(struct known_hosts *kh);

/* Default location: $XDG_CONFIG_HOME/thindesk/known_hosts (new string). */
char *known_hosts_default_path(void);

/* Replaces the entries with the file's. A missing file is empty (returns 0).
 * A malformed line fails the whole load with -EINVAL and *ret_error naming
 * the line: a damaged pin must not silently turn into a new first use. */
int known_hosts_load(struct known_hosts *kh, const char *path, char **ret_error);

/* Same, from text in memory (@name is used in messages). */
int known_hosts_parse(struct known_hosts *kh, const char *name, const char *text, char **ret_error);

/* Host names compare case-insensitively; @fingerprint as from
 * known_hosts_fingerprint(). If @ret_pinned is not NULL and the host is
 * known, it receives the pinned fingerprint (owned by @kh). */
enum known_hosts_verdict known_hosts_check(const struct known_hosts *kh, const char *host, int port,
                                           const char *fingerprint, const char **ret_pinned);

/* Pins @fingerprint for host:port, replacing an older pin. 0 or -EINVAL for a
 * host name with spaces or a malformed fingerprint. */
int known_hosts_add(struct known_hosts *kh, const char *host, int port, const char *fingerprint);

/* Pins the DER public key @key for host:port (its fingerprint follows),
 * replacing an older pin; takes a reference to @key. 0 or -EINVAL. */
int known_hosts_add_key(struct known_hosts *kh, const char *host, int port, GBytes *key);

/* The whole pinned key of host:port (owned by @kh), or NULL when the host is
 * unknown or its line has only a fingerprint (the old format). */
GBytes *known_hosts_get_key(const struct known_hosts *kh, const char *host, int port);

/* The line of host:port in the file last loaded, or 0 (unknown, or added
 * since). */
int known_hosts_line(const struct known_hosts *kh, const char *host, int port);

/* Writes all entries atomically, creating the directory (mode 0700). */
int known_hosts_save(const struct known_hosts *kh, const char *path, char **ret_error);

/* "sha256:" + lowercase hex of SHA-256 over @len bytes (new string). */
char *known_hosts_fingerprint(const guint8 *data, gsize len);

guint known_hosts_count(const struct known_hosts *kh);
