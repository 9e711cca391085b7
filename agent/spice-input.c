#include "agent/spice-input.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <unistd.h>

#include "display/wayland-source.h"
#include "input/injector.h"
#include "input/keymap.h"

struct spice_input {
    SpiceTabletInstance tablet;
    bool view_only;
    bool registered;
    struct keymap_decoder decoder;
    struct injector *injector; /* NULL when view-only */
    char *backend;             /* the configured one, for set_display() */
    uint32_t agent_buttons;    /* last VD_AGENT_MOUSE_STATE buttons */
    void (*leds_watch)(unsigned leds, void *user); /* another viewer's (the browser's) */
    void *leds_watch_user;
};

/* spice-server 0.15 cannot remove a keyboard or mouse interface: it keeps
 * using them until spice_server_destroy(), which runs after
 * spice_input_destroy() and releases the keys a client still holds through
 * them. So these two instances outlive struct spice_input (one per process,
 * like the server) and reach it through @owner, NULL once it is gone. */
static struct {
    SpiceKbdInstance kbd;
    SpiceMouseInstance mouse;
    struct spice_input *owner;
} lasting;

/* The injector's LED bits are SPICE's keyboard modifier flags. */
G_STATIC_ASSERT((int)INJECTOR_LED_SCROLL_LOCK == (int)SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK);
G_STATIC_ASSERT((int)INJECTOR_LED_NUM_LOCK == (int)SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK);
G_STATIC_ASSERT((int)INJECTOR_LED_CAPS_LOCK == (int)SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK);

/* spice-server hands the tablet and mouse buttons over in its "local" order:
 * bit 0 left, bit 1 right, bit 2 middle (ARCHITECTURE.md, fact 8). */
#define LOCAL_BUTTON_LEFT   (1u << 0)
#define LOCAL_BUTTON_RIGHT  (1u << 1)
#define LOCAL_BUTTON_MIDDLE (1u << 2)

static unsigned buttons_from_local(uint32_t local)
{
    return ((local & LOCAL_BUTTON_LEFT) ? 1u << INJECTOR_BUTTON_LEFT : 0) |
           ((local & LOCAL_BUTTON_RIGHT) ? 1u << INJECTOR_BUTTON_RIGHT : 0) |
           ((local & LOCAL_BUTTON_MIDDLE) ? 1u << INJECTOR_BUTTON_MIDDLE : 0);
}

static void kbd_push_scan(SpiceKbdInstance *sin, uint8_t frag)
{
    struct spice_input *in = lasting.owner;
    struct keymap_event ev;
    if (!in || !in->injector)
        return;
    if (keymap_decoder_feed(&in->decoder, frag, &ev))
        injector_key(in->injector, ev.code, ev.pressed);
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin)
{
    struct spice_input *in = lasting.owner;
    return in && in->injector ? injector_get_leds(in->injector) : 0;
}

static const SpiceKbdInterface kbd_interface = {
    .base = {.type = SPICE_INTERFACE_KEYBOARD,
             .description = "thindesk keyboard",
             .major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
             .minor_version = SPICE_INTERFACE_KEYBOARD_MINOR},
    .push_scan_freg = kbd_push_scan,
    .get_leds = kbd_get_leds,
};

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height)
{
    /* Positions arrive in primary-surface pixels, which are screen pixels:
     * the screen size comes from spice_input_set_screen_size(). */
    g_debug("tablet logical size %dx%d", width, height);
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons)
{
    struct spice_input *in = SPICE_CONTAINEROF(sin, struct spice_input, tablet);
    if (!in->injector)
        return;
    injector_move_to(in->injector, x, y);
    injector_set_buttons(in->injector, buttons_from_local(buttons));
}

/* A button press arrives here as wheel(0, buttons); a wheel click as
 * wheel(-1 up / +1 down, buttons). */
static void tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t buttons)
{
    struct spice_input *in = SPICE_CONTAINEROF(sin, struct spice_input, tablet);
    if (!in->injector)
        return;
    injector_set_buttons(in->injector, buttons_from_local(buttons));
    injector_wheel(in->injector, motion, 0);
}

/* A button release. */
static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons)
{
    struct spice_input *in = SPICE_CONTAINEROF(sin, struct spice_input, tablet);
    if (in->injector)
        injector_set_buttons(in->injector, buttons_from_local(buttons));
}

static const SpiceTabletInterface tablet_interface = {
    .base = {.type = SPICE_INTERFACE_TABLET,
             .description = "thindesk tablet",
             .major_version = SPICE_INTERFACE_TABLET_MAJOR,
             .minor_version = SPICE_INTERFACE_TABLET_MINOR},
    .set_logical_size = tablet_set_logical_size,
    .position = tablet_position,
    .wheel = tablet_wheel,
    .buttons = tablet_buttons,
};

/* Server mouse mode: relative motion; presses and wheel come as motion(0, 0, dz, ...). */
static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons)
{
    struct spice_input *in = lasting.owner;
    if (!in || !in->injector)
        return;
    injector_move_by(in->injector, dx, dy);
    injector_set_buttons(in->injector, buttons_from_local(buttons));
    injector_wheel(in->injector, dz, 0);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons)
{
    struct spice_input *in = lasting.owner;
    if (in && in->injector)
        injector_set_buttons(in->injector, buttons_from_local(buttons));
}

static const SpiceMouseInterface mouse_interface = {
    .base = {.type = SPICE_INTERFACE_MOUSE,
             .description = "thindesk mouse",
             .major_version = SPICE_INTERFACE_MOUSE_MAJOR,
             .minor_version = SPICE_INTERFACE_MOUSE_MINOR},
    .motion = mouse_motion,
    .buttons = mouse_buttons,
};

/* The desktop's lock keys changed: tell the client. */
static void on_leds_changed(unsigned leds, void *data)
{
    struct spice_input *in = data;
    if (in->registered)
        spice_server_kbd_leds(&lasting.kbd, (int)leds);
    if (in->leds_watch)
        in->leds_watch(leds, in->leds_watch_user);
}

static const struct injector_listener injector_listener = {
    .leds_changed = on_leds_changed,
};

/* Resolves --input=auto for desktops without an X server. Returns false when
 * nothing can inject (the session is then view-only). */
static bool choose_injector(const struct agent_options *opts, const char **ret_backend)
{
    const char *backend = opts->input;
    bool is_auto = g_strcmp0(backend, "auto") == 0;
    if (is_auto && g_strcmp0(opts->capture, "fake") == 0) {
        /* A fake desktop has no X server to type into. */
        backend = "fake";
        g_message("input: using fake (the desktop is fake)");
    } else if (is_auto && g_strcmp0(opts->capture, "mutter") == 0) {
        /* The same Mutter remote-desktop session as the screen cast. */
        backend = "mutter";
        g_message("input: using mutter (GNOME's remote-desktop session)");
    } else if (is_auto && g_strcmp0(opts->capture, "wlr") == 0) {
        /* wlroots has no XTest: its own virtual keyboard and pointer when the
         * compositor offers both, else a uinput device reaches a compositor
         * that reads a real seat through libinput; else view-only, said. */
        struct injector_config probe = {.backend = "wlr"};
        g_autofree char *reason = NULL;
        if (injector_probe("wlr", &probe, &reason) > 0) {
            backend = "wlr";
            g_message("input: using wlr (%s)", reason);
        } else if (access("/dev/uinput", W_OK) == 0) {
            backend = "uinput";
            g_message("input: uinput (%s; on wlroots the compositor picks the device up through libinput)", reason);
        } else {
            g_warning("input: no way to inject on this Wayland desktop (%s) and /dev/uinput is not writable: serving view-only", reason);
            return false;
        }
    }
    *ret_backend = backend;
    return true;
}

/* The wlr injector's connection runs on display/'s Wayland loop source. */
static void *wayland_loop_attach(struct wl_display *display,
                                 void (*lost)(const char *why, void *user_data), void *user_data)
{
    return wayland_source_create(display, lost, user_data);
}

static void wayland_loop_detach(void *source)
{
    wayland_source_destroy(source);
}

static void wayland_loop_flush(void *source)
{
    wayland_source_flush(source);
}

static const struct injector_wayland_loop wayland_loop = {
    .attach = wayland_loop_attach,
    .detach = wayland_loop_detach,
    .flush = wayland_loop_flush,
    .describe_error = wayland_source_describe_error,
};

struct spice_input *spice_input_create(SpiceServer *server, const struct agent_options *opts,
                                       const struct injector_remote_desktop *remote_desktop,
                                       const char *display, int width, int height, char **ret_error)
{
    if (lasting.owner) {
        *ret_error = g_strdup("only one SPICE input per process");
        return NULL;
    }
    struct spice_input *in = g_new0(struct spice_input, 1);
    const char *backend = NULL;
    in->view_only = opts->view_only || !choose_injector(opts, &backend);
    if (opts->view_only)
        g_message("view-only: keyboard and pointer input from clients is ignored");
    if (!in->view_only) {
        /* The system service starts on its placeholder: input goes
         * nowhere until spice_input_set_display(). */
        struct injector_config ic = {
            .backend = opts->system_mode ? "fake" : backend,
            .display = display,
            .wayland_loop = &wayland_loop,
            .width = width,
            .height = height,
            .remote_desktop = remote_desktop,
        };
        in->injector = injector_create(&ic, &injector_listener, in, ret_error);
        if (!in->injector) {
            g_free(in);
            return NULL;
        }
        in->backend = g_strdup(backend);
    }
    lasting.kbd.base.sif = &kbd_interface.base;
    lasting.mouse.base.sif = &mouse_interface.base;
    in->tablet.base.sif = &tablet_interface.base;
    if (spice_server_add_interface(server, &lasting.kbd.base) != 0 ||
        spice_server_add_interface(server, &lasting.mouse.base) != 0 ||
        spice_server_add_interface(server, &in->tablet.base) != 0) {
        *ret_error = g_strdup("spice-server refused the input interfaces");
        injector_destroy(in->injector);
        g_free(in->backend);
        g_free(in);
        return NULL;
    }
    in->registered = true;
    lasting.owner = in;
    return in;
}

int spice_input_set_display(struct spice_input *in, const char *display, int width, int height,
                            char **ret_error)
{
    if (!in || in->view_only)
        return 0;
    const char *name = in->injector ? injector_name(in->injector) : NULL;
    if (display && g_strcmp0(name, "uinput") == 0) {
        /* The kernel's devices reach whichever X server owns the VT. */
        injector_set_screen_size(in->injector, width, height);
        return 0;
    }
    const char *backend = display ? in->backend : "fake";
    struct injector_config ic = {
        .backend = backend,
        .display = display,
        .width = width,
        .height = height,
    };
    struct injector *next = injector_create(&ic, &injector_listener, in, ret_error);
    if (!next)
        return -ENODEV;
    injector_destroy(in->injector); /* releases what the client held there */
    keymap_decoder_reset(&in->decoder);
    in->agent_buttons = 0;
    in->injector = next;
    return 0;
}

void spice_input_destroy(struct spice_input *in)
{
    if (!in)
        return;
    in->registered = false;
    /* From here on the keyboard and mouse (see "lasting") reach nothing. */
    lasting.owner = NULL;
    /* spice-server 0.15 can remove only the tablet; the keyboard and mouse
     * go with spice_server_destroy(), which the agent calls next. */
    spice_server_remove_interface(&in->tablet.base);
    injector_destroy(in->injector); /* releases whatever is still held */
    g_free(in->backend);
    g_free(in);
}

void spice_input_set_screen_size(struct spice_input *in, int width, int height)
{
    if (in && in->injector)
        injector_set_screen_size(in->injector, width, height);
}

void spice_input_agent_mouse(struct spice_input *in, int x, int y, uint32_t vd_buttons)
{
    if (!in || !in->injector)
        return;
    uint32_t pressed = vd_buttons & ~in->agent_buttons;
    in->agent_buttons = vd_buttons;
    injector_move_to(in->injector, x, y);
    unsigned mask = ((vd_buttons & VD_AGENT_LBUTTON_MASK) ? 1u << INJECTOR_BUTTON_LEFT : 0) |
                    ((vd_buttons & VD_AGENT_MBUTTON_MASK) ? 1u << INJECTOR_BUTTON_MIDDLE : 0) |
                    ((vd_buttons & VD_AGENT_RBUTTON_MASK) ? 1u << INJECTOR_BUTTON_RIGHT : 0) |
                    ((vd_buttons & VD_AGENT_SBUTTON_MASK) ? 1u << INJECTOR_BUTTON_SIDE : 0) |
                    ((vd_buttons & VD_AGENT_EBUTTON_MASK) ? 1u << INJECTOR_BUTTON_EXTRA : 0);
    injector_set_buttons(in->injector, mask);
    if (pressed & VD_AGENT_UBUTTON_MASK)
        injector_wheel(in->injector, -1, 0);
    if (pressed & VD_AGENT_DBUTTON_MASK)
        injector_wheel(in->injector, 1, 0);
}

void spice_input_client_gone(struct spice_input *in)
{
    if (!in)
        return;
    in->agent_buttons = 0;
    keymap_decoder_reset(&in->decoder);
    if (in->injector)
        injector_release_all(in->injector);
}

struct injector *spice_input_injector(struct spice_input *in)
{
    return in ? in->injector : NULL;
}

void spice_input_watch_leds(struct spice_input *in, void (*changed)(unsigned leds, void *user),
                            void *user)
{
    if (!in)
        return;
    in->leds_watch = changed;
    in->leds_watch_user = user;
}
