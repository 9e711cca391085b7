/* spice-server: the SPICE server object of the agent (listening socket,
 * authentication, codecs, client events). Symbols use the prefix server_ so
 * they do not collide with spice-server's own spice_server_ API. */
#pragma once

#include <spice.h>
#include <stdbool.h>

#include "agent/options.h"

struct server_events {
    /* The main channel of a client connected (true) or went away (false). */
    void (*client)(bool connected, const char *address, void *user_data);
    void *user_data;
};

/* Listens on the address of @opts and configures authentication and codecs.
 * @password NULL means no ticketing (the caller checked that is allowed).
 * Returns NULL and sets *ret_error (new string) on failure. */
SpiceServer *server_create(const struct agent_options *opts, const char *password,
                           const struct server_events *events, char **ret_error);
/* Sets the password for the next connections, valid for @lifetime seconds
 * (0: no expiry); a connected client stays. Turning a password on while
 * clients connect without one disconnects them (spice-server). */
int server_set_password(SpiceServer *server, const char *password, int lifetime);
/* Disconnects the connected client, keeping the password and its expiry. */
void server_disconnect(SpiceServer *server);
/* The id of the current (or last) client connection, "" before the first:
 * the SESSION_ID of its log entries. */
const char *server_session_id(void);
/* Starts the display worker; call after every interface was added. */
void server_start(SpiceServer *server);
void server_destroy(SpiceServer *server);
