#include "agent/spice-input.h"

#include <glib.h>
#include <stdbool.h>


struct spice_input {
    SpiceKbdInstance kbd;
    SpiceTabletInstance tablet;
    SpiceMouseInstance mouse;
    int width, height;
    bool view_only;
    uint8_t leds;
};

static void kbd_push_scan(SpiceKbdInstance *sin, uint8_t frag)
{
    g_debug("key scancode 0x%02x", frag);
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin)
{
    struct spice_input *in = SPICE_CONTAINEROF(sin, struct spice_input, kbd);
    return in->leds;
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
    g_debug("tablet logical size %dx%d", width, height);
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons)
{
    g_debug("pointer at %d,%d buttons 0x%x", x, y, buttons);
}

static void tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t buttons)
{
    g_debug("wheel %d buttons 0x%x", motion, buttons);
}

static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons)
{
    g_debug("buttons 0x%x", buttons);
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

static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons)
{
    g_debug("relative motion %d,%d wheel %d buttons 0x%x", dx, dy, dz, buttons);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons)
{
    g_debug("mouse buttons 0x%x", buttons);
}

static const SpiceMouseInterface mouse_interface = {
    .base = {.type = SPICE_INTERFACE_MOUSE,
             .description = "thindesk mouse",
             .major_version = SPICE_INTERFACE_MOUSE_MAJOR,
             .minor_version = SPICE_INTERFACE_MOUSE_MINOR},
    .motion = mouse_motion,
    .buttons = mouse_buttons,
};

struct spice_input *spice_input_create(SpiceServer *server, const struct agent_options *opts,
                                       const char *display, int width, int height,
                                       char **ret_error)
{
    struct spice_input *in = g_new0(struct spice_input, 1);
    in->width = width;
    in->height = height;
    in->view_only = opts->view_only;
    in->kbd.base.sif = &kbd_interface.base;
    in->tablet.base.sif = &tablet_interface.base;
    in->mouse.base.sif = &mouse_interface.base;
    if (spice_server_add_interface(server, &in->kbd.base) != 0 ||
        spice_server_add_interface(server, &in->mouse.base) != 0 ||
        spice_server_add_interface(server, &in->tablet.base) != 0) {
        *ret_error = g_strdup("spice-server refused the input interfaces");
        g_free(in);
        return NULL;
    }
    return in;
}

void spice_input_destroy(struct spice_input *in)
{
    if (!in)
        return;
    /* spice-server 0.15 can remove only the tablet; the keyboard and mouse
     * go with spice_server_destroy(), which the agent calls next. */
    spice_server_remove_interface(&in->tablet.base);
    g_free(in);
}

void spice_input_set_screen_size(struct spice_input *in, int width, int height)
{
    in->width = width;
    in->height = height;
}

void spice_input_client_gone(struct spice_input *in)
{
}
