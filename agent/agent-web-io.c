/* agent-web-io: the browser viewer's input, clipboard and resize in the
 * composition root: the page's KEY, POINTER, LEDS, RELEASE_ALL, CLIPBOARD
 * and RESIZE messages from web-server's dispatch table into the injector
 * SPICE's inputs use, the clipboard module and the monitors path. */
#include "agent/agent-priv.h"

#include "agent/web/web-clipboard.h"
#include "agent/web/web-input.h"
#include "agent/web/web-proto.h"
#include "agent/web/web-resize.h"
#include "agent/web/web-server.h"

static struct injector *web_injector(void *data)
{
    struct agent *a = data;
    return spice_input_injector(a->input);
}

static void web_send(GBytes *msg, void *data)
{
    struct agent *a = data;
    if (a->web)
        web_server_send(a->web, msg);
}

static void on_input_msg(const struct web_page_msg *m, void *data)
{
    struct agent *a = data;
    if (!a->stopping)
        web_input_handle(a->web_input, m, g_get_monotonic_time());
}

static void on_clipboard_msg(const struct web_page_msg *m, void *data)
{
    struct agent *a = data;
    if (a->web_clipboard && !a->stopping)
        web_clipboard_page_data(a->web_clipboard, m->u.clipboard.kind, m->u.clipboard.data,
                                m->u.clipboard.len);
}

static void on_resize_msg(const struct web_page_msg *m, void *data)
{
    struct agent *a = data;
    if (!a->stopping)
        web_resize_request(a->web_resize, m->u.resize.width, m->u.resize.height);
}

/* The page's size, as one monitor through the SPICE clients' path. */
static bool apply_resize(int width, int height, void *data)
{
    struct agent *a = data;
    struct vdagent_monitor mon = {.enabled = true, .width = width, .height = height};
    return agent_apply_monitors(a, &mon, 1) == VD_AGENT_SUCCESS;
}

static void on_desktop_leds(unsigned leds, void *data)
{
    struct agent *a = data;
    web_input_desktop_leds(a->web_input, leds);
}

static void collect(struct metrics_writer *w, void *data)
{
    struct agent *a = data;
    metrics_write_counter(w, "thindesk_web_input_dropped_total",
                          "browser input events dropped by the rate limit",
                          (double)web_input_dropped(a->web_input));
    metrics_write_counter(w, "thindesk_web_unknown_keys_total",
                          "browser key events whose code has no PC scancode",
                          (double)web_input_unknown_keys(a->web_input));
    if (a->web_clipboard)
        metrics_write_counter(
            w, "thindesk_web_clipboard_refused_total",
            "clipboard transfers with the browser refused (policy, size, bad data)",
            (double)web_clipboard_refused(a->web_clipboard));
}

static bool clipboard_backend(const struct agent_options *o, const char **ret_backend)
{
    if (o->clipboard == CLIPBOARD_POLICY_OFF || o->system_mode)
        return false;
    if (strcmp(o->capture, "wlr") == 0)
        *ret_backend = "wlr";
    else if (strcmp(o->capture, "x11") == 0)
        *ret_backend = "x11";
    else
        return false;
    return true;
}

uint8_t agent_web_io_hello_flags(const struct agent_options *o)
{
    const char *backend;
    bool resize = o->resize && !o->system_mode &&
                  (strcmp(o->capture, "x11") == 0 || strcmp(o->capture, "wlr") == 0);
    return (clipboard_backend(o, &backend) ? WEB_HELLO_CLIPBOARD : 0) |
           (resize ? WEB_HELLO_RESIZE : 0);
}

void agent_start_web_io(struct agent *a, const char *display)
{
    if (!a->web)
        return;
    const struct agent_options *o = a->opts;
    const struct web_input_config ic = {.view_only = o->view_only,
                                        .max_per_second = WEB_INPUT_DEFAULT_RATE};
    const struct web_input_sink sink = {.injector = web_injector, .send = web_send, .data = a};
    a->web_input = web_input_create(&ic, &sink);
    spice_input_watch_leds(a->input, on_desktop_leds, a);
    const char *backend;
    if (clipboard_backend(o, &backend)) {
        const struct web_clipboard_config cc = {.policy = o->clipboard,
                                                .max_size = (size_t)o->clipboard_max_size,
                                                .send = web_send,
                                                .send_data = a};
        g_autofree char *error = NULL;
        bool wlr = strcmp(backend, "wlr") == 0;
        a->web_clipboard =
            web_clipboard_create_for_desktop(&cc, backend, wlr ? NULL : display, &error);
        if (!a->web_clipboard)
            g_message("web: %s", error);
    }
    a->web_resize = web_resize_create(apply_resize, a);
    static const uint8_t input_types[] = {WEB_PAGE_KEY, WEB_PAGE_POINTER, WEB_PAGE_LEDS,
                                          WEB_PAGE_RELEASE_ALL};
    for (size_t i = 0; i < G_N_ELEMENTS(input_types); i++)
        web_server_set_handler(a->web, input_types[i], on_input_msg, a);
    web_server_set_handler(a->web, WEB_PAGE_CLIPBOARD, on_clipboard_msg, a);
    web_server_set_handler(a->web, WEB_PAGE_RESIZE, on_resize_msg, a);
    metrics_add_collector(a->metrics, collect, a);
}

void agent_web_io_viewer(struct agent *a, bool present)
{
    if (!a->web_input)
        return;
    if (present) {
        web_input_page_ready(a->web_input);
        if (a->web_clipboard)
            web_clipboard_page_ready(a->web_clipboard);
    } else {
        web_input_page_gone(a->web_input);
        if (a->web_clipboard)
            web_clipboard_page_gone(a->web_clipboard);
        web_resize_page_gone(a->web_resize);
    }
}

void agent_stop_web_io(struct agent *a)
{
    spice_input_watch_leds(a->input, NULL, NULL);
    g_clear_pointer(&a->web_resize, web_resize_destroy);
    g_clear_pointer(&a->web_clipboard, web_clipboard_destroy);
    g_clear_pointer(&a->web_input, web_input_destroy);
}
