/* headless: the actions of `thindesk --headless` on a connection, without a
 * window: write the first complete frame as PNG, move the pointer, type a key
 * script, record the playback stream to a WAV file. Used by tests, benchmarks
 * and monitoring. */
#pragma once

#include <spice-client.h>
#include <stdbool.h>

#include "client/exit-status.h"
#include "client/settings.h"

struct connection;
struct headless;

/* Called once the actions are finished (status OK) or failed (message set). */
typedef void (*headless_done_fn)(enum exit_status status, const char *message, void *data);

/* NULL with *ret_error set if the key script does not parse. */
struct headless *headless_create(const struct settings *s, headless_done_fn done, void *data,
                                 char **ret_error);
/* Detaches first (see headless_detach). Call it only after the connection's
 * sockets are closed and its main-context sources ran: a flush in flight
 * still completes (cancelled) on the loop. */
void headless_destroy(struct headless *h);

/* True if there is something to do that ends (screenshot, keys, pointer);
 * false for open-ended runs (stats, audio, monitoring). */
bool headless_has_actions(const struct headless *h);

/* Hooks a new connection's channels (call from its channel_new callback). */
void headless_channel_new(struct headless *h, SpiceChannel *channel);

/* Disconnects every handler headless_channel_new put on the current
 * connection's channels and forgets them; call it before the connection is
 * destroyed, so no event of a closing channel reaches the actions. */
void headless_detach(struct headless *h);

/* The connection has its first complete frame: run the actions once. */
void headless_ready(struct headless *h, struct connection *c);

/* Writes @channel's primary surface as an RGB PNG. 0 or -errno, *ret_error set. */
int headless_write_png(SpiceChannel *display, const char *path, char **ret_error);
