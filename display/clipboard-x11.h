/* clipboard-x11: the X side of clipboard sharing, over xcb + XFixes.
 *
 * Watches who owns CLIPBOARD and PRIMARY (XFixes selection events), reads
 * the owner's TARGETS and data (INCR for large data), and owns a selection on
 * behalf of a remote peer, answering X clients' SelectionRequests (TARGETS,
 * TIMESTAMP, data; INCR when the data is larger than a request).
 *
 * Own X connection, watched on the GLib main loop; every callback runs there.
 * No SPICE types: selections and formats are the enums below. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum clipboard_selection {
    CLIPBOARD_SEL_CLIPBOARD = 0,
    CLIPBOARD_SEL_PRIMARY = 1,
    CLIPBOARD_N_SELECTIONS = 2,
};

enum clipboard_format {
    CLIPBOARD_FMT_TEXT = 0, /* UTF-8 */
    CLIPBOARD_FMT_PNG = 1,
    CLIPBOARD_N_FORMATS = 2,
};

struct clipboard_x11;

struct clipboard_x11_listener {
    /* An X client took @sel and offers @formats (a bit per enum
     * clipboard_format, never 0). */
    void (*grabbed)(int sel, unsigned formats, void *user_data);
    /* Nobody in X offers @sel any more (owner gone, or nothing we can use). */
    void (*released)(int sel, void *user_data);
    /* Answer to clipboard_x11_request(): @data NULL when the owner refused
     * or timed out (@len 0), or offered more than the size limit (@len is at
     * least its size, larger than the limit). */
    void (*data)(int sel, int format, const uint8_t *data, size_t len, void *user_data);
    /* An X client wants @sel, which we own for the peer, as @format: answer
     * with clipboard_x11_provide(). Asked once until provided. */
    void (*request)(int sel, int format, void *user_data);
    /* We lost @sel to an X client (ownership taken over). */
    void *user_data;
};

/* @max_size caps data read from X owners. Returns NULL and sets *ret_error
 * (new string) without an X display or XFixes. */
struct clipboard_x11 *clipboard_x11_create(const char *display, size_t max_size,
                                           const struct clipboard_x11_listener *listener,
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
