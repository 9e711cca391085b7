/* tls-pin: trust on first use for TLS servers without a CA.
 *
 * Before the SPICE session connects, one TLS handshake with the server's TLS
 * port fetches its certificate; the SHA-256 of its public key (DER
 * SubjectPublicKeyInfo) is checked against the known_hosts file (see
 * known-hosts.h): pinned on first use, accepted when equal, refused when
 * different. The session then runs with spice-gtk's public-key verification
 * set to that key, so the key cannot change between the check and the
 * session. */
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

/* Starts the check; @done is called once, from the main loop. */
struct tls_pin *tls_pin_check(const struct settings *s, tls_pin_fn done, void *data);

/* Cancels a running check (@done is then not called). Accepts NULL. */
void tls_pin_destroy(struct tls_pin *p);

/* The DER SubjectPublicKeyInfo of DER certificate @cert, or NULL. */
GBytes *tls_pin_public_key(GBytes *cert);
