/* windows-x11: where the top-level windows of an X screen are, so that a
 * window that moved can be sent as a copy of what the client already shows.
 * Fed with the root window's substructure events by capture-x11. */
#pragma once

#include <xcb/xcb.h>

#include "display/copy-detect.h"

struct windows_x11;

/* Reads the current top-level windows of @root (a few round trips). */
struct windows_x11 *windows_x11_create(xcb_connection_t *conn, xcb_window_t root);
void windows_x11_destroy(struct windows_x11 *windows);

/* Feeds one event; ignores the ones it does not care about. */
void windows_x11_handle_event(struct windows_x11 *windows, const xcb_generic_event_t *ev);

/* Writes the windows that moved (same size) since the last call, at most @max;
 * returns their number. */
int windows_x11_take_moves(struct windows_x11 *windows, struct copy_hint *ret_hints, int max);
