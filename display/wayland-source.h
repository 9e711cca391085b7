/* wayland-source: a Wayland client connection driven by the GLib main loop.
 *
 * A GSource over the connection's fd: reads and dispatches events as they
 * come, flushes requests after each dispatch (and when the socket was full),
 * and reports a broken connection once through @lost, after which it stops
 * polling. Used by the Wayland backends of display/, and by input/'s wlr
 * injector through the table agent/ hands it (input/ never includes
 * display/); each keeps its own wl_display. Main thread only. */
#pragma once

#include <stdbool.h>

struct wl_display;
struct wayland_source;

/* Called once when the connection broke; @why says how (protocol error,
 * compositor gone). Runs on the main loop. */
typedef void (*wayland_source_lost_fn)(const char *why, void *user_data);

/* Attaches a source for @display (which the caller keeps owning and must
 * outlive the source) to the default main context. */
struct wayland_source *wayland_source_create(struct wl_display *display,
                                             wayland_source_lost_fn lost, void *user_data);
/* Detaches and frees; accepts NULL. */
void wayland_source_destroy(struct wayland_source *source);

/* Sends queued requests now (requests made outside a dispatch). */
void wayland_source_flush(struct wayland_source *source);

/* Gives back the read intent the source may hold between two loop
 * iterations, for a caller about to read the connection itself (a blocking
 * wait); without it such a read would wait for the source forever. */
void wayland_source_cancel_read(struct wayland_source *source);

/* True once the connection broke (after @lost was called). */
bool wayland_source_is_lost(const struct wayland_source *source);

/* A connection's error as a sentence, or NULL while it is healthy. */
char *wayland_source_describe_error(struct wl_display *display);
