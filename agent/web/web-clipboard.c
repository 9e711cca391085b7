#include "agent/web/web-clipboard.h"

#include <glib.h>
#include <string.h>

#include "agent/vdagent-clipboard.h"
#include "agent/web/web-proto.h"
#include "display/clipboard.h"

struct web_clipboard {
    struct web_clipboard_config config;
    struct web_clipboard_desktop desktop;
    struct clipboard *clipboard; /* with _create_for_desktop */
    bool to_page, to_desktop;
    bool connected;
    unsigned desktop_formats;          /* what a desktop client offers now; 0: none */
    int wanted;                        /* format asked of the desktop for the page; -1: none */
    bool page_owns;                    /* we hold the selection with the page's data */
    GBytes *last[CLIPBOARD_N_FORMATS]; /* the latest data either way, not re-sent */
    uint64_t refused;
    bool said_policy_page, said_policy_desktop, said_size, said_bad;
};

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

struct web_clipboard *web_clipboard_create(const struct web_clipboard_config *config,
                                           const struct web_clipboard_desktop *desktop)
{
    struct web_clipboard *wc = g_new0(struct web_clipboard, 1);
    wc->config = *config;
    wc->desktop = *desktop;
    wc->to_page =
        config->policy == CLIPBOARD_POLICY_BOTH || config->policy == CLIPBOARD_POLICY_TO_CLIENT;
    wc->to_desktop =
        config->policy == CLIPBOARD_POLICY_BOTH || config->policy == CLIPBOARD_POLICY_TO_GUEST;
    wc->wanted = -1;
    return wc;
}

void web_clipboard_destroy(struct web_clipboard *wc)
{
    if (!wc)
        return;
    clipboard_destroy(wc->clipboard);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        g_clear_pointer(&wc->last[f], g_bytes_unref);
    g_free(wc);
}

static void remember(struct web_clipboard *wc, int format, const uint8_t *bytes, size_t len)
{
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        g_clear_pointer(&wc->last[f], g_bytes_unref);
    wc->last[format] = g_bytes_new(bytes, len);
}

static bool same_as_last(struct web_clipboard *wc, int format, const uint8_t *bytes, size_t len)
{
    GBytes *last = wc->last[format];
    if (!last)
        return false;
    size_t n = 0;
    const void *p = g_bytes_get_data(last, &n);
    return n == len && (len == 0 || memcmp(p, bytes, len) == 0);
}

/* --- desktop → page --- */

static void ask_desktop(struct web_clipboard *wc)
{
    if (!wc->connected || !wc->to_page || !wc->desktop_formats || wc->wanted >= 0)
        return;
    int f =
        (wc->desktop_formats & (1u << CLIPBOARD_FMT_TEXT)) ? CLIPBOARD_FMT_TEXT : CLIPBOARD_FMT_PNG;
    if (!(wc->desktop_formats & (1u << f)))
        return;
    wc->wanted = f;
    wc->desktop.request(wc->desktop.data, f);
}

void web_clipboard_desktop_grabbed(struct web_clipboard *wc, unsigned formats)
{
    wc->desktop_formats = formats;
    wc->page_owns = false; /* a desktop client took it over */
    if (!wc->to_page) {
        if (!wc->said_policy_page)
            g_message("web: clipboard: not sending the desktop's clipboard to the page (policy)");
        wc->said_policy_page = true;
        return;
    }
    wc->wanted = -1; /* an older read's answer is for the old owner */
    ask_desktop(wc);
}

void web_clipboard_desktop_released(struct web_clipboard *wc)
{
    wc->desktop_formats = 0;
}

void web_clipboard_desktop_data(struct web_clipboard *wc, int format, const uint8_t *bytes,
                                size_t len)
{
    if (wc->wanted != format)
        return;
    wc->wanted = -1;
    if (!wc->connected)
        return;
    if (!bytes) {
        if (len > wc->config.max_size) {
            wc->refused++;
            g_message("web: clipboard: refused %zu bytes from the desktop to the page: larger than "
                      "the limit of %zu bytes",
                      len, wc->config.max_size);
        } else {
            g_debug("web: clipboard: the desktop could not provide its clipboard");
        }
        return;
    }
    if (len > wc->config.max_size) {
        wc->refused++;
        g_message("web: clipboard: refused %zu bytes from the desktop to the page: larger than the "
                  "limit of %zu bytes",
                  len, wc->config.max_size);
        return;
    }
    if (same_as_last(wc, format, bytes, len))
        return;
    remember(wc, format, bytes, len);
    g_autoptr(GBytes) msg = web_proto_clipboard(
        format == CLIPBOARD_FMT_PNG ? WEB_CLIPBOARD_PNG : WEB_CLIPBOARD_TEXT, bytes, len);
    wc->config.send(msg, wc->config.send_data);
}

/* --- page → desktop --- */

static void refuse(struct web_clipboard *wc, bool *said, const char *why)
{
    wc->refused++;
    if (!*said)
        g_message("web: clipboard: refused the page's clipboard: %s; further ones are not logged",
                  why);
    *said = true;
}

void web_clipboard_page_data(struct web_clipboard *wc, uint8_t kind, const uint8_t *bytes,
                             size_t len)
{
    if (kind != WEB_CLIPBOARD_TEXT && kind != WEB_CLIPBOARD_PNG)
        return;
    int format = kind == WEB_CLIPBOARD_PNG ? CLIPBOARD_FMT_PNG : CLIPBOARD_FMT_TEXT;
    if (!wc->to_desktop) {
        refuse(wc, &wc->said_policy_desktop, "the clipboard policy does not allow it");
        return;
    }
    if (len > wc->config.max_size) {
        wc->refused++;
        g_message(
            "web: clipboard: refused %zu bytes from the page: larger than the limit of %zu bytes",
            len, wc->config.max_size);
        return;
    }
    if (len == 0)
        return; /* an empty clipboard offers nothing */
    if (format == CLIPBOARD_FMT_TEXT && !g_utf8_validate((const char *)bytes, (gssize)len, NULL)) {
        refuse(wc, &wc->said_bad, "text that is not UTF-8");
        return;
    }
    if (format == CLIPBOARD_FMT_PNG &&
        (len < sizeof(png_signature) || memcmp(bytes, png_signature, sizeof(png_signature)))) {
        refuse(wc, &wc->said_bad, "an image that is not PNG");
        return;
    }
    if (same_as_last(wc, format, bytes, len) && (wc->page_owns || wc->desktop_formats))
        return; /* the page echoes what it has already, or what it got from here */
    remember(wc, format, bytes, len);
    wc->desktop.own(wc->desktop.data, 1u << format);
    wc->desktop.provide(wc->desktop.data, format, bytes, len);
    wc->page_owns = true;
    wc->desktop_formats = 0;
    wc->wanted = -1;
}

void web_clipboard_desktop_request(struct web_clipboard *wc, int format)
{
    /* Asked for a format the page did not send: refuse it. The page's own
     * format is cached by display/clipboard since provide(). */
    const uint8_t *bytes = NULL;
    size_t len = 0;
    if (wc->page_owns && wc->last[format])
        bytes = g_bytes_get_data(wc->last[format], &len);
    wc->desktop.provide(wc->desktop.data, format, bytes, len);
}

void web_clipboard_page_ready(struct web_clipboard *wc)
{
    wc->connected = true;
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        g_clear_pointer(&wc->last[f], g_bytes_unref);
    wc->wanted = -1;
    ask_desktop(wc);
}

void web_clipboard_page_gone(struct web_clipboard *wc)
{
    wc->connected = false;
    wc->wanted = -1;
    if (wc->page_owns)
        wc->desktop.disown(wc->desktop.data);
    wc->page_owns = false;
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        g_clear_pointer(&wc->last[f], g_bytes_unref);
    wc->said_policy_page = wc->said_policy_desktop = wc->said_size = wc->said_bad = false;
}

uint64_t web_clipboard_refused(const struct web_clipboard *wc)
{
    return wc->refused;
}

/* --- over display/clipboard: the CLIPBOARD selection only --- */

static void x_grabbed(int sel, unsigned formats, void *data)
{
    if (sel == CLIPBOARD_SEL_CLIPBOARD)
        web_clipboard_desktop_grabbed(data, formats);
}

static void x_released(int sel, void *data)
{
    if (sel == CLIPBOARD_SEL_CLIPBOARD)
        web_clipboard_desktop_released(data);
}

static void x_data(int sel, int format, const uint8_t *bytes, size_t len, void *data)
{
    if (sel == CLIPBOARD_SEL_CLIPBOARD)
        web_clipboard_desktop_data(data, format, bytes, len);
}

static void x_request(int sel, int format, void *data)
{
    struct web_clipboard *wc = data;
    if (sel == CLIPBOARD_SEL_CLIPBOARD)
        web_clipboard_desktop_request(wc, format);
    else
        clipboard_provide(wc->clipboard, sel, format, NULL, 0);
}

static void d_own(void *data, unsigned formats)
{
    struct web_clipboard *wc = data;
    clipboard_own(wc->clipboard, CLIPBOARD_SEL_CLIPBOARD, formats);
}

static void d_disown(void *data)
{
    struct web_clipboard *wc = data;
    clipboard_disown(wc->clipboard, CLIPBOARD_SEL_CLIPBOARD);
}

static void d_request(void *data, int format)
{
    struct web_clipboard *wc = data;
    clipboard_request(wc->clipboard, CLIPBOARD_SEL_CLIPBOARD, format);
}

static void d_provide(void *data, int format, const uint8_t *bytes, size_t len)
{
    struct web_clipboard *wc = data;
    clipboard_provide(wc->clipboard, CLIPBOARD_SEL_CLIPBOARD, format, bytes, len);
}

struct web_clipboard *web_clipboard_create_for_desktop(const struct web_clipboard_config *config,
                                                       const char *backend, const char *display,
                                                       char **ret_error)
{
    struct web_clipboard_desktop desk = {
        .own = d_own, .disown = d_disown, .request = d_request, .provide = d_provide};
    struct web_clipboard *wc = web_clipboard_create(config, &desk);
    wc->desktop.data = wc;
    struct clipboard_listener l = {
        .grabbed = x_grabbed,
        .released = x_released,
        .data = x_data,
        .request = x_request,
        .user_data = wc,
    };
    struct clipboard_config cc = {
        .backend = backend, .display = display, .max_size = config->max_size};
    wc->clipboard = clipboard_create(&cc, &l, ret_error);
    if (!wc->clipboard) {
        g_free(wc);
        return NULL;
    }
    return wc;
}
