/* xtest: events through the X server's XTEST extension; X keycode = evdev + 8.
 * Lock-key LEDs come from the core keyboard control (the LED mask `xset q`
 * shows); XKB indicator notifications say when to read it again. */
#include <errno.h>
#include <stdlib.h>
#include <glib-unix.h>
#include <glib.h>
#include <xcb/xcb.h>
#include <xcb/xkb.h>
#include <xcb/xtest.h>

#include "input/injector-priv.h"

#define X_KEYCODE_OFFSET     8
#define X_BUTTON_WHEEL_UP    4
#define X_BUTTON_WHEEL_DOWN  5
#define X_BUTTON_WHEEL_LEFT  6
#define X_BUTTON_WHEEL_RIGHT 7

/* Core LED numbers (bit n = LED n+1) as the evdev/xfree86 XKB keycodes
 * define their indicators: 1 Caps Lock, 2 Num Lock, 3 Scroll Lock. */
#define CORE_LED_CAPS   (1u << 0)
#define CORE_LED_NUM    (1u << 1)
#define CORE_LED_SCROLL (1u << 2)

struct xtest {
    xcb_connection_t *conn;
    xcb_window_t root;
    uint8_t xkb_event_base;
    bool have_xkb;
    guint watch;
    guint queued_check; /* idle source: events xcb read while writing */
    unsigned leds;
    bool lost;
};

static gboolean on_queued_events(gpointer data);

/* xcb_flush() may read what the server sent meanwhile (an indicator notify)
 * into xcb's queue while it waits to write; the socket is then no longer
 * readable and the fd watch would not see those events until the next one
 * arrives. So after each flush the queue is looked at from the main loop. */
static void xtest_flush(struct injector *inj)
{
    struct xtest *x = inj->priv;
    if (x->lost)
        return;
    if (xcb_flush(x->conn) <= 0) {
        x->lost = true;
        g_warning("input: the X connection is gone; input is dropped");
        return;
    }
    if (!x->queued_check)
        x->queued_check = g_idle_add(on_queued_events, inj);
}

static unsigned leds_from_mask(uint32_t mask)
{
    unsigned leds = 0;
    if (mask & CORE_LED_CAPS)
        leds |= INJECTOR_LED_CAPS_LOCK;
    if (mask & CORE_LED_NUM)
        leds |= INJECTOR_LED_NUM_LOCK;
    if (mask & CORE_LED_SCROLL)
        leds |= INJECTOR_LED_SCROLL_LOCK;
    return leds;
}

static unsigned read_leds(struct xtest *x)
{
    xcb_get_keyboard_control_reply_t *r =
        xcb_get_keyboard_control_reply(x->conn, xcb_get_keyboard_control(x->conn), NULL);
    if (!r)
        return x->leds;
    unsigned leds = leds_from_mask(r->led_mask);
    free(r);
    return leds;
}

/* Handles the events in xcb's queue, reading the socket first if
 * @from_socket. */
static void handle_events(struct injector *inj, bool from_socket)
{
    struct xtest *x = inj->priv;
    /* The notify carries the new indicator state itself: no round trip,
     * which could race with the change and leave events queued in xcb. */
    bool indicators = false;
    uint32_t state = 0;
    xcb_generic_event_t *ev;
    while ((ev = from_socket ? xcb_poll_for_event(x->conn) : xcb_poll_for_queued_event(x->conn))) {
        if (x->have_xkb && ev->response_type == x->xkb_event_base &&
            ((xcb_xkb_indicator_state_notify_event_t *)ev)->xkbType ==
                XCB_XKB_INDICATOR_STATE_NOTIFY) {
            indicators = true;
            state = ((xcb_xkb_indicator_state_notify_event_t *)ev)->state;
        } else if (ev->response_type == 0) {
            g_debug("X error %d from an input request", ((xcb_generic_error_t *)ev)->error_code);
        }
        free(ev);
    }
    if (indicators) {
        unsigned leds = leds_from_mask(state);
        if (leds != x->leds) {
            x->leds = leds;
            injector_emit_leds(inj, leds);
        }
    }
}

static gboolean on_queued_events(gpointer data)
{
    struct injector *inj = data;
    struct xtest *x = inj->priv;
    x->queued_check = 0;
    if (!x->lost)
        handle_events(inj, false);
    return G_SOURCE_REMOVE;
}

static gboolean on_x_events(int fd, GIOCondition cond, gpointer data)
{
    struct injector *inj = data;
    struct xtest *x = inj->priv;
    handle_events(inj, true);
    if (xcb_connection_has_error(x->conn)) {
        x->lost = true;
        x->watch = 0;
        g_warning("input: the X connection is gone; input is dropped");
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void select_indicator_events(struct xtest *x)
{
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(x->conn, &xcb_xkb_id);
    if (!ext || !ext->present)
        return;
    xcb_xkb_use_extension_reply_t *r = xcb_xkb_use_extension_reply(
        x->conn, xcb_xkb_use_extension(x->conn, XCB_XKB_MAJOR_VERSION, XCB_XKB_MINOR_VERSION),
        NULL);
    bool ok = r && r->supported;
    free(r);
    if (!ok)
        return;
    x->xkb_event_base = ext->first_event;
    x->have_xkb = true;
    xcb_xkb_select_events(x->conn, XCB_XKB_ID_USE_CORE_KBD,
                          XCB_XKB_EVENT_TYPE_INDICATOR_STATE_NOTIFY, 0,
                          XCB_XKB_EVENT_TYPE_INDICATOR_STATE_NOTIFY, 0, 0, NULL);
}

static int xtest_create(struct injector *inj, const struct injector_config *config,
                        char **ret_error)
{
    int screen_no = 0;
    xcb_connection_t *conn = xcb_connect(config->display, &screen_no);
    if (xcb_connection_has_error(conn)) {
        const char *name = config->display ? config->display : g_getenv("DISPLAY");
        *ret_error = g_strdup_printf("input: cannot connect to X display %s for XTEST",
                                     name ? name : "(unset)");
        xcb_disconnect(conn);
        return -ECONNREFUSED;
    }
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(conn, &xcb_test_id);
    if (!ext || !ext->present) {
        *ret_error = g_strdup("input: the X server has no XTEST extension; use --input=uinput");
        xcb_disconnect(conn);
        return -ENOTSUP;
    }
    xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(conn));
    for (int i = 0; i < screen_no && it.rem; i++)
        xcb_screen_next(&it);
    struct xtest *x = g_new0(struct xtest, 1);
    x->conn = conn;
    x->root = it.data->root;
    inj->priv = x;
    select_indicator_events(x);
    x->leds = read_leds(x);
    x->watch = g_unix_fd_add(xcb_get_file_descriptor(conn), G_IO_IN | G_IO_HUP | G_IO_ERR,
                             on_x_events, inj);
    xtest_flush(inj);
    return 0;
}

static void xtest_destroy(struct injector *inj)
{
    struct xtest *x = inj->priv;
    if (x->watch)
        g_source_remove(x->watch);
    if (x->queued_check)
        g_source_remove(x->queued_check);
    /* A round trip first: the server may drop requests still unread when a
     * client closes, such as the releases injector_destroy() just sent. */
    if (!x->lost)
        free(xcb_get_input_focus_reply(x->conn, xcb_get_input_focus(x->conn), NULL));
    xcb_disconnect(x->conn);
    g_free(x);
}

static void fake_input(struct xtest *x, uint8_t type, uint8_t detail, int16_t px, int16_t py)
{
    if (x->lost)
        return;
    xcb_test_fake_input(x->conn, type, detail, XCB_CURRENT_TIME,
                        type == XCB_MOTION_NOTIFY && detail == 0 ? x->root : XCB_NONE, px, py, 0);
}

static void xtest_key(struct injector *inj, unsigned code, bool pressed)
{
    struct xtest *x = inj->priv;
    if (code + X_KEYCODE_OFFSET > 255)
        return; /* the core protocol has no keycode for it */
    fake_input(x, pressed ? XCB_KEY_PRESS : XCB_KEY_RELEASE, code + X_KEYCODE_OFFSET, 0, 0);
    xtest_flush(inj);
}

static void xtest_move_to(struct injector *inj, int px, int py)
{
    struct xtest *x = inj->priv;
    fake_input(x, XCB_MOTION_NOTIFY, 0, px, py);
    xtest_flush(inj);
}

static void xtest_move_by(struct injector *inj, int dx, int dy)
{
    struct xtest *x = inj->priv;
    fake_input(x, XCB_MOTION_NOTIFY, 1, CLAMP(dx, INT16_MIN, INT16_MAX),
               CLAMP(dy, INT16_MIN, INT16_MAX));
    xtest_flush(inj);
}

static const uint8_t x_buttons[INJECTOR_N_BUTTONS] = {
    [INJECTOR_BUTTON_LEFT] = 1, [INJECTOR_BUTTON_MIDDLE] = 2, [INJECTOR_BUTTON_RIGHT] = 3,
    [INJECTOR_BUTTON_SIDE] = 8, [INJECTOR_BUTTON_EXTRA] = 9,
};

static void xtest_button(struct injector *inj, enum injector_button button, bool pressed)
{
    struct xtest *x = inj->priv;
    fake_input(x, pressed ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, x_buttons[button], 0, 0);
    xtest_flush(inj);
}

static void click(struct xtest *x, uint8_t button, int times)
{
    for (int i = 0; i < times; i++) {
        fake_input(x, XCB_BUTTON_PRESS, button, 0, 0);
        fake_input(x, XCB_BUTTON_RELEASE, button, 0, 0);
    }
}

static void xtest_wheel(struct injector *inj, int dy, int dx)
{
    struct xtest *x = inj->priv;
    click(x, dy < 0 ? X_BUTTON_WHEEL_UP : X_BUTTON_WHEEL_DOWN, ABS(dy));
    click(x, dx < 0 ? X_BUTTON_WHEEL_LEFT : X_BUTTON_WHEEL_RIGHT, ABS(dx));
    xtest_flush(inj);
}

static unsigned xtest_get_leds(struct injector *inj)
{
    struct xtest *x = inj->priv;
    if (!x->have_xkb && !x->lost)
        x->leds = read_leds(x); /* no change notifications: ask */
    return x->leds;
}

const struct injector_ops injector_xtest_ops = {
    .name = "xtest",
    .create = xtest_create,
    .destroy = xtest_destroy,
    .key = xtest_key,
    .move_to = xtest_move_to,
    .move_by = xtest_move_by,
    .button = xtest_button,
    .wheel = xtest_wheel,
    .get_leds = xtest_get_leds,
};
