/* clipboard-x11: the X side of clipboard sharing, over xcb + XFixes.
 *
 * Watches who owns CLIPBOARD and PRIMARY (XFixes selection events), reads
 * the owner's TARGETS and data (INCR for large data), and owns a selection on
 * behalf of a remote peer, answering X clients' SelectionRequests (TARGETS,
 * TIMESTAMP, data; INCR when the data is larger than a request).
 *
 * Own X connection, watched on the GLib main loop; every callback runs there.
 * No SPICE types: selections, formats and the listener are display/clipboard.h's;
 * display/clipboard.c offers it as the clipboard backend "x11". */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "display/clipboard.h"

struct clipboard_x11;

/* @max_size caps data read from X owners. Returns NULL and sets *ret_error
 * (new string) without an X display or XFixes. */
struct clipboard_x11 *clipboard_x11_create(const char *display, size_t max_size,
                                           const struct clipboard_listener *listener,
                                           char **ret_error);
void clipboard_x11_destroy(struct clipboard_x11 *c);

/* Owns @sel for the peer, offering @formats (bits); forgets cached data. */
void clipboard_x11_own(struct clipboard_x11 *c, int sel, unsigned formats);
/* Gives up @sel if we own it. */
void clipboard_x11_disown(struct clipboard_x11 *c, int sel);

/* Reads @sel from its X owner as @format; the answer comes to listener->data. */
void clipboard_x11_request(struct clipboard_x11 *c, int sel, int format);

/* The peer's data for the X clients waiting on @sel as @format. @data NULL
 * refuses them. Copies @data and keeps it for later requests while we own
 * @sel. */
void clipboard_x11_provide(struct clipboard_x11 *c, int sel, int format, const uint8_t *data,
                           size_t len);
