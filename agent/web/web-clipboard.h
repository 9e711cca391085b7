/* web-clipboard: clipboard sharing between the page (CLIPBOARD messages of
 * agent/web/PROTOCOL.md) and the desktop's CLIPBOARD selection, through
 * display/clipboard (the module the SPICE agent channel uses), under the
 * same --clipboard policy and --clipboard-max-size cap.
 *
 * The page has no "grab" message: when a desktop client takes the
 * clipboard, its text (else its PNG image) is read at once and sent to the
 * connected page; what the page sends is offered to the desktop's clients
 * until someone else takes the clipboard or the page goes away. Text must
 * be UTF-8 and images PNG; refusals are logged once each and counted.
 * Main loop only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* The desktop's CLIPBOARD selection (display/clipboard.h calls), so the
 * logic can be tested without a desktop. */
struct web_clipboard_desktop {
    void (*own)(void *data, unsigned formats); /* enum clipboard_format bits */
    void (*disown)(void *data);
    void (*request)(void *data, int format);
    void (*provide)(void *data, int format, const uint8_t *bytes, size_t len);
    void *data;
};

struct web_clipboard_config {
    int policy;      /* enum clipboard_policy (agent/vdagent-clipboard.h) */
    size_t max_size; /* either way */
    /* Sends one agent-to-page message (CLIPBOARD); does not take @msg. */
    void (*send)(GBytes *msg, void *data);
    void *send_data;
};

struct web_clipboard;

/* The logic over @desktop (copied). */
struct web_clipboard *web_clipboard_create(const struct web_clipboard_config *config,
                                           const struct web_clipboard_desktop *desktop);
/* Over the desktop's real clipboard: display/clipboard's @backend ("x11" or
 * "wlr") on @display (NULL: environment). Returns NULL and sets *ret_error
 * when that clipboard is unavailable. */
struct web_clipboard *web_clipboard_create_for_desktop(const struct web_clipboard_config *config,
                                                       const char *backend, const char *display,
                                                       char **ret_error);
void web_clipboard_destroy(struct web_clipboard *wc);

/* The page's CLIPBOARD message: @kind (enum web_clipboard_kind) and its
 * @len bytes. */
void web_clipboard_page_data(struct web_clipboard *wc, uint8_t kind, const uint8_t *bytes,
                             size_t len);
/* A page connected: it gets what the desktop's clipboard holds now. */
void web_clipboard_page_ready(struct web_clipboard *wc);
/* The page went away: what it offered is withdrawn. */
void web_clipboard_page_gone(struct web_clipboard *wc);

/* display/clipboard's listener for the CLIPBOARD selection. */
void web_clipboard_desktop_grabbed(struct web_clipboard *wc, unsigned formats);
void web_clipboard_desktop_released(struct web_clipboard *wc);
void web_clipboard_desktop_data(struct web_clipboard *wc, int format, const uint8_t *bytes,
                                size_t len);
void web_clipboard_desktop_request(struct web_clipboard *wc, int format);

/* Transfers refused either way (policy, size, bad data) since creation. */
uint64_t web_clipboard_refused(const struct web_clipboard *wc);
