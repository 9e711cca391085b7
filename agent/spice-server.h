/* spice-server: the SPICE server object of the agent (listening socket,
 * authentication, codecs, client events). Symbols use the prefix server_ so
 * they do not collide with spice-server's own spice_server_ API. */
#pragma once

#include <spice.h>
#include <stdbool.h>

#include "agent/options.h"

struct tls_identity;
struct auth_guard;

struct server_events {
    /* The main channel of a client connected (true) or went away (false). */
    void (*client)(bool connected, const char *address, void *user_data);
    /* A client's main channel closed before it was initialized: a refused
     * password, or a link error. @address is "host:port". */
    void (*auth_failed)(const char *address, void *user_data);
    /* A channel other than main finished its link (@type: SPICE_CHANNEL_*). */
    void (*channel)(int type, void *user_data);
    void *user_data;
};

/* Listens on the addresses of @opts (plain unless its port is 0; TLS with
 * @tls unless NULL: then every channel must use TLS when there is no plain
 * socket) and configures authentication and codecs.
 * @password NULL means no ticketing (the caller checked that is allowed).
 * Returns NULL and sets *ret_error (new string) on failure. */
SpiceServer *server_create(const struct agent_options *opts, const char *password,
                           const struct tls_identity *tls, const struct server_events *events,
                           char **ret_error);
/* Replaces the password new clients must give (NULL: none); @lifetime_seconds
 * > 0 makes it expire. Connected clients stay unless @disconnect. Not from
 * within a server event. Returns 0 or -EINVAL. */
int server_set_password(SpiceServer *server, const char *password, int lifetime_seconds,
                        bool disconnect);
/* Disconnects the connected client, keeping the password and its expiry. */
void server_disconnect(SpiceServer *server);
/* The id of the current (or last) client connection, "" before the first:
 * the SESSION_ID of its log entries. */
const char *server_session_id(void);
/* The per-address login backoff, shared with the browser login (valid
 * between server_create and server_destroy). */
struct auth_guard *server_auth_guard(void);
/* Starts the display worker; call after every interface was added. */
void server_start(SpiceServer *server);
void server_destroy(SpiceServer *server);
