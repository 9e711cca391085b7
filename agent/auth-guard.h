/* auth-guard: per-address backoff after failed connection attempts.
 *
 * spice-server has no authentication-failure hook. The agent counts a
 * connection that closes before any channel finished its link (a refused
 * password, a client that rejected our certificate, or a non-SPICE peer) as
 * a failure of its address, and delays the next connections from that
 * address: the first AUTH_GUARD_FREE failures cost nothing, then each one
 * doubles the delay from 1 s up to AUTH_GUARD_MAX_DELAY_MS. A successful
 * login from the address clears it. Plain C, no spice headers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define AUTH_GUARD_FREE         3
#define AUTH_GUARD_MAX_DELAY_MS 30000
/* An address nobody failed from for this long is forgotten. */
#define AUTH_GUARD_FORGET_MS (15 * 60 * 1000)
/* Most addresses remembered; the stalest is dropped beyond. */
#define AUTH_GUARD_MAX_ADDRESSES 4096

struct auth_guard;

struct auth_guard *auth_guard_create(void);
void auth_guard_destroy(struct auth_guard *g);

/* @address is a numeric host without port; @now_ms a monotonic clock. */
void auth_guard_failed(struct auth_guard *g, const char *address, int64_t now_ms);
void auth_guard_succeeded(struct auth_guard *g, const char *address);
/* How long a new connection from @address must wait now (0: none). */
int64_t auth_guard_delay_ms(struct auth_guard *g, const char *address, int64_t now_ms);
/* Failures counted for @address (for logs and tests). */
unsigned auth_guard_failures(struct auth_guard *g, const char *address);
