/* web-server: the agent's HTTPS server for browsers (--web-listen), on the
 * main loop with libsoup 3.
 *
 * One origin serves the page (/, from the embedded GResource), /session
 * (a one-time token or the password for a short-lived __Host- cookie) and the
 * WebSocket /ws (thindesk-web, agent/web/PROTOCOL.md). Every upgrade needs
 * the cookie and an allowed Origin; failures go through the same per-address
 * backoff as SPICE logins (agent/auth-guard.h). One viewer at a time: a new
 * one takes over from the old. Main thread only. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "agent/web/web-proto.h"

struct web_server;
struct auth_guard;

/* A handler for one page message type (see web_server_set_handler). */
typedef void (*web_handler_fn)(const struct web_page_msg *msg, void *data);

struct web_server_events {
    /* A viewer completed its opening (CAPS) and is now the viewer (true),
     * or the viewer went (false). @address: "host:port". */
    void (*viewer)(bool present, const char *address, void *data);
    /* Whether @password is the agent's lasting password (the login form). */
    bool (*check_password)(const char *password, void *data);
    void *data;
};

struct web_server_config {
    const char *host;      /* listening address */
    int port;
    const char *cert_file; /* PEM certificate (chain) and key: the agent's TLS identity */
    const char *key_file;
    const char *origins;   /* comma-separated Origins allowed besides the page's own; NULL */
    bool view_only;        /* input messages are dropped */
};

/* Listens; returns NULL and sets *ret_error (new string). @guard is shared
 * with the SPICE listener and outlives the server. */
struct web_server *web_server_create(const struct web_server_config *config,
                                     const struct web_server_events *events,
                                     struct auth_guard *guard, char **ret_error);
/* Sends BYE (agent stopping) to the viewer and stops listening. */
void web_server_destroy(struct web_server *s);

/* The dispatch table: @fn gets every valid page message of @type (0x80 +
 * n, not CAPS or PING, which the viewer answers itself) from the current
 * viewer, in order; input types only without --view-only and within the
 * rate limit. One handler per type; a later call replaces it, NULL removes. */
void web_server_set_handler(struct web_server *s, uint8_t type, web_handler_fn fn, void *data);

/* Sends one agent-to-page message (from web_proto_*; not taken) to the
 * viewer. Returns false when there is no ready viewer. */
bool web_server_send(struct web_server *s, GBytes *msg);
bool web_server_has_viewer(const struct web_server *s);
/* The viewer's CAPS flags (enum web_caps_flags); 0 without a viewer. */
uint8_t web_server_viewer_caps(const struct web_server *s);
/* Ends the viewer's session: BYE @reason with @sentence, then close. */
void web_server_end_viewer(struct web_server *s, uint8_t reason, const char *sentence);

/* Arms @token for one login within @seconds; returns the URL to open,
 * https://HOST:PORT/#t=TOKEN (new string). @host: the name people use. */
char *web_server_add_token(struct web_server *s, const char *host, const char *token,
                           int seconds);
/* Forgets every browser session (after a password change). */
void web_server_drop_sessions(struct web_server *s);
