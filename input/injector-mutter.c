/* injector-mutter: GNOME on Wayland, through the Notify* methods of the
 * agent's Mutter remote-desktop session.
 *
 * Keys go as evdev codes (NotifyKeyboardKeycode), so mutter applies the
 * user's own layout, as a physical keyboard would. Absolute motion is in
 * stream coordinates (NotifyPointerMotionAbsolute names the screen-cast
 * stream), which at scale 1 are screen pixels. Calls are fire-and-forget on
 * one D-Bus connection, so they keep their order. The session may come and
 * go with the clients: while none is open, events are dropped. Lock-key
 * LEDs are the session's CapsLockState and NumLockState. */
#include "input/injector-priv.h"

#include <errno.h>
#include <glib.h>

struct inj_mutter {
    struct injector_remote_desktop rd;
};

static void on_leds(unsigned leds, void *data)
{
    injector_emit_leds(data, leds);
}

static int mutter_create(struct injector *inj, const struct injector_config *config,
                         char **ret_error)
{
    if (!config->remote_desktop || !config->remote_desktop->call) {
        *ret_error = g_strdup(
            "--input=mutter needs the agent's GNOME remote-desktop session (--capture=mutter)");
        return -EINVAL;
    }
    struct inj_mutter *m = g_new0(struct inj_mutter, 1);
    m->rd = *config->remote_desktop;
    inj->priv = m;
    if (m->rd.watch_leds)
        m->rd.watch_leds(m->rd.data, on_leds, inj);
    return 0;
}

static void mutter_destroy(struct injector *inj)
{
    struct inj_mutter *m = inj->priv;
    if (m->rd.watch_leds)
        m->rd.watch_leds(m->rd.data, NULL, NULL);
    g_free(m);
}

static void mutter_call(struct injector *inj, const char *method, GVariant *args)
{
    struct inj_mutter *m = inj->priv;
    m->rd.call(m->rd.data, method, args);
}

static void mutter_key(struct injector *inj, unsigned code, bool pressed)
{
    mutter_call(inj, "NotifyKeyboardKeycode", g_variant_new("(ub)", code, pressed));
}

static void mutter_move_to(struct injector *inj, int x, int y)
{
    struct inj_mutter *m = inj->priv;
    const char *stream = m->rd.stream_path ? m->rd.stream_path(m->rd.data) : NULL;
    if (!stream)
        return;
    mutter_call(inj, "NotifyPointerMotionAbsolute",
                g_variant_new("(sdd)", stream, (double)x, (double)y));
}

static void mutter_move_by(struct injector *inj, int dx, int dy)
{
    mutter_call(inj, "NotifyPointerMotionRelative", g_variant_new("(dd)", (double)dx, (double)dy));
}

static void mutter_button(struct injector *inj, enum injector_button button, bool pressed)
{
    static const int codes[INJECTOR_N_BUTTONS] = {
        [INJECTOR_BUTTON_LEFT] = BTN_LEFT,   [INJECTOR_BUTTON_MIDDLE] = BTN_MIDDLE,
        [INJECTOR_BUTTON_RIGHT] = BTN_RIGHT, [INJECTOR_BUTTON_SIDE] = BTN_SIDE,
        [INJECTOR_BUTTON_EXTRA] = BTN_EXTRA,
    };
    mutter_call(inj, "NotifyPointerButton", g_variant_new("(ib)", codes[button], pressed));
}

static void mutter_wheel(struct injector *inj, int dy, int dx)
{
    /* Axis 0 is vertical, 1 horizontal; positive steps scroll down or
     * right; mutter refuses 0 steps. */
    if (dy)
        mutter_call(inj, "NotifyPointerAxisDiscrete", g_variant_new("(ui)", 0u, dy));
    if (dx)
        mutter_call(inj, "NotifyPointerAxisDiscrete", g_variant_new("(ui)", 1u, dx));
}

static unsigned mutter_get_leds(struct injector *inj)
{
    struct inj_mutter *m = inj->priv;
    return m->rd.get_leds ? m->rd.get_leds(m->rd.data) : 0;
}

const struct injector_ops injector_mutter_ops = {
    .name = "mutter",
    .create = mutter_create,
    .destroy = mutter_destroy,
    .key = mutter_key,
    .move_to = mutter_move_to,
    .move_by = mutter_move_by,
    .button = mutter_button,
    .wheel = mutter_wheel,
    .get_leds = mutter_get_leds,
};
