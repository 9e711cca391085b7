/* connection: one SPICE session to the server named by the settings, on
 * spice-client-glib. It connects every channel the server offers, turns
 * channel events into one reason (enum exit_status) and one message, and
 * says when the first complete frame has arrived. Headless mode and the
 * windows build on it; reconnecting means a new connection.
 *
 * Runs on the GLib main loop of the caller. */
#pragma once

#include <spice-client.h>
#include <stdbool.h>

#include "client/exit-status.h"
#include "client/settings.h"

struct connection;

struct connection_callbacks {
    /* A channel was created (before it connects). Returns true if the
     * callee sees to connecting it (or leaves it unconnected on purpose);
     * false lets the connection connect it. May be NULL. */
    bool (*channel_new)(SpiceChannel *channel, void *data);
    /* The first complete frame of display channel 0 is in its primary
     * surface, and the other channels finished their link (or 3 s passed).
     * Called once per connection. */
    void (*ready)(void *data);
    /* The connection failed or ended. Called at most once; @message is one
     * line meant for the user. The connection may be destroyed from here. */
    void (*lost)(enum exit_status status, const char *message, void *data);
};

/* @s must outlive the connection. @pubkey (may be NULL): the DER public key
 * the server must present (pinned by tls-pin), with spice-gtk checking it.
 * @audio: whether the session has playback and record channels at all. */
struct connection *connection_create(const struct settings *s, GBytes *pubkey, bool audio,
                                     const struct connection_callbacks *cb, void *data);
void connection_destroy(struct connection *c);

/* Starts connecting. Failures come through the lost callback. */
void connection_start(struct connection *c);

SpiceSession *connection_get_session(struct connection *c);
SpiceChannel *connection_get_display(struct connection *c, int id);
SpiceInputsChannel *connection_get_inputs(struct connection *c);
SpiceMainChannel *connection_get_main(struct connection *c);
bool connection_is_ready(const struct connection *c);

/* "HOST:PORT" for messages. */
const char *connection_get_address(const struct connection *c);

/* Appends the JSON statistics fields (without braces) to @out: frames,
 * fps since the last call, bytes per channel type, round-trip time. */
void connection_append_stats(struct connection *c, GString *out);
