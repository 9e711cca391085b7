/* tls-pin: trust on first use for TLS servers without a CA.
 *
 * The SPICE session runs with spice-gtk's public-key verification set to
 * the server's pinned key (DER SubjectPublicKeyInfo, kept whole in the
 * known_hosts file, see known-hosts.h). With such a pin there is no other
 * connection: the server sees only the session.
 *
 * Only without a whole key (first use, or a line of the old format with just
 * the SHA-256 fingerprint) does one TLS handshake with the server's TLS port
 * fetch its certificate first: the key is pinned on first use, added to an
 * old line whose fingerprint it matches, refused when different. The agent
 * counts that handshake, which closes before a SPICE link, as one failed
 * connection attempt; it happens once per server.
 *
 * When spice-gtk refuses the pinned key, tls_pin_explain() looks at the
 * server's key with one handshake to tell a changed key from other TLS
 * failures. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "client/exit-status.h"
#include "client/settings.h"

struct tls_pin;

/* @pubkey: the server's DER public key to require (NULL when status is not
 * OK); @message: one line for the user when status is not OK. */
typedef void (*tls_pin_fn)(GBytes *pubkey, enum exit_status status, const char *message,
                           void *data);

/* True when the settings ask for TLS but give no CA to verify it with. */
bool tls_pin_needed(const struct settings *s);

/* Starts the check; @done is called once, from the main loop, with the key
 * the session must require. */
struct tls_pin *tls_pin_check(const struct settings *s, tls_pin_fn done, void *data);

/* A session that required @pinned failed in TLS: fetches the server's key.
 * @done is called once, from the main loop: with status OK and @pinned when
 * the key is still @pinned or cannot be read (the session's own error
 * stands), else with EXIT_STATUS_CERTIFICATE and the "key changed" message
 * naming the known_hosts line to delete. */
struct tls_pin *tls_pin_explain(const struct settings *s, GBytes *pinned, tls_pin_fn done,
                                void *data);

/* Cancels a running check (@done is then not called). Accepts NULL. */
void tls_pin_destroy(struct tls_pin *p);

/* The DER SubjectPublicKeyInfo of DER certificate @cert, or NULL. */
GBytes *tls_pin_public_key(GBytes *cert);
