/* clipboard: the desktop side of clipboard sharing, one interface over
 * backends, each an ops table in its own file:
 *   x11  CLIPBOARD and PRIMARY of an X display (xcb + XFixes), clipboard-x11
 *   wlr  the selections of a wlroots compositor's seat through
 *        zwlr_data_control_manager_v1, clipboard-wlr
 *   mutter  GNOME's CLIPBOARD through the clipboard methods of the agent's
 *        Mutter remote-desktop session, clipboard-mutter (no PRIMARY)
 *
 * Watches who holds each selection and what it offers, reads it on request,
 * and holds a selection on behalf of a remote peer, answering the desktop's
 * clients. Formats are UTF-8 text and PNG; other text and image types the
 * desktop offers are converted. Own connection, watched on the GLib main
 * loop; every callback runs there. No SPICE types. */
#pragma once

#include <gio/gio.h>
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

struct clipboard_listener {
    /* A desktop client took @sel and offers @formats (a bit per enum
     * clipboard_format, never 0). */
    void (*grabbed)(int sel, unsigned formats, void *user_data);
    /* Nobody on the desktop offers @sel any more (owner gone, or nothing we
     * can use). */
    void (*released)(int sel, void *user_data);
    /* Answer to clipboard_request(): @data NULL when the owner refused or
     * timed out (@len 0), or offered more than the size limit (@len is at
     * least its size, larger than the limit). */
    void (*data)(int sel, int format, const uint8_t *data, size_t len, void *user_data);
    /* A desktop client wants @sel, which we hold for the peer, as @format:
     * answer with clipboard_provide(). Asked once until provided. */
    void (*request)(int sel, int format, void *user_data);
    void *user_data;
};

/* mutter: the remote-desktop session the composition root owns (only the
 * session's creator may use its clipboard, on the creator's connection). */
struct clipboard_remote_desktop {
    GDBusConnection *bus;
    /* Calls @changed with the session's object path once it has started,
     * and with NULL when it ends; NULL @changed stops that. */
    void (*watch)(void *data, void (*changed)(const char *path, void *user), void *user);
    void *data;
};

struct clipboard_config {
    const char *backend; /* "x11", "wlr" or "mutter" */
    const char *display; /* X display (x11) or Wayland display (wlr); NULL: environment */
    size_t max_size;     /* caps data read from the desktop */
    const struct clipboard_remote_desktop *remote_desktop; /* mutter; copied */
};

struct clipboard;

/* Returns NULL and sets *ret_error (new string) when the backend cannot
 * reach the desktop's clipboard. */
struct clipboard *clipboard_create(const struct clipboard_config *config,
                                   const struct clipboard_listener *listener, char **ret_error);
void clipboard_destroy(struct clipboard *c);
const char *clipboard_name(const struct clipboard *c);

/* Holds @sel for the peer, offering @formats (bits); forgets cached data. */
void clipboard_own(struct clipboard *c, int sel, unsigned formats);
/* Gives up @sel if we hold it. */
void clipboard_disown(struct clipboard *c, int sel);
/* Reads @sel from its owner as @format; the answer comes to listener->data. */
void clipboard_request(struct clipboard *c, int sel, int format);
/* The peer's data for the desktop clients waiting on @sel as @format. @data
 * NULL refuses them. Copies @data and keeps it for later requests while we
 * hold @sel. */
void clipboard_provide(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len);
