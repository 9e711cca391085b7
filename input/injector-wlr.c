/* injector-wlr: keyboard and pointer on a wlroots compositor (sway) through
 * zwp_virtual_keyboard_v1 and zwlr_virtual_pointer_v1.
 *
 * The keyboard types evdev codes in the session's own XKB keymap: the one
 * the compositor sends to a wl_seat's wl_keyboard (the user's layout),
 * uploaded to the virtual keyboard as a memfd and uploaded again whenever
 * the compositor sends a different one (the user switched layout). Until
 * the seat has a keyboard, libxkbcommon's default layout ($XKB_DEFAULT_*)
 * stands in. A local xkb_state follows every key: its modifiers go out with
 * `modifiers` and its lock LEDs back to the client. The pointer moves with
 * motion_absolute over the output's extent, one frame per event.
 *
 * Own wl_display connection (capture-wlr keeps its own), on the GLib loop
 * through the loop the composition root hands in (display/wayland-source). */
#define _GNU_SOURCE /* memfd_create */
#include "input/injector-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "input/keystate.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

#define WHEEL_STEP 15 /* wl_pointer axis units per wheel click, as libinput */

struct wlr_injector {
    struct injector *inj;
    char *name;
    struct wl_display *display;
    struct wl_registry *registry;
    struct wl_seat *seat;
    uint32_t seat_version;
    struct wl_keyboard *keyboard;
    struct wl_output *output;
    struct zwp_virtual_keyboard_manager_v1 *kbd_manager;
    struct zwlr_virtual_pointer_manager_v1 *ptr_manager;
    uint32_t ptr_version;
    struct zwp_virtual_keyboard_v1 *vkbd;
    struct zwlr_virtual_pointer_v1 *vptr;
    const struct injector_wayland_loop *loop;
    void *source;
    struct keystate *keys;
    bool keymap_from_seat;
    unsigned leds;
    bool lost;
};

static uint32_t now_ms(void)
{
    return (uint32_t)(g_get_monotonic_time() / 1000);
}

static void flush(struct wlr_injector *w)
{
    w->loop->flush(w->source);
}

/* --- keymap --- */

/* Sends @w->keys' keymap to the virtual keyboard. Returns 0 or -errno. */
static int upload_keymap(struct wlr_injector *w)
{
    size_t size;
    const char *text = keystate_keymap_text(w->keys, &size);
    int fd = memfd_create("thindesk-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    int rc = 0;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, text + done, size - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto err_close;
        }
        done += (size_t)n;
    }
    /* The compositor maps it: nobody may shrink it under its feet. */
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    zwp_virtual_keyboard_v1_keymap(w->vkbd, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, (uint32_t)size);
err_close:
    close(fd);
    return rc;
}

static void send_modifiers(struct wlr_injector *w)
{
    struct keystate_mods m;
    keystate_get_mods(w->keys, &m);
    zwp_virtual_keyboard_v1_modifiers(w->vkbd, m.depressed, m.latched, m.locked, m.group);
}

static void update_leds(struct wlr_injector *w)
{
    unsigned leds = keystate_leds(w->keys);
    if (leds != w->leds) {
        w->leds = leds;
        injector_emit_leds(w->inj, leds);
    }
}

/* Takes a new keymap (text from the compositor) into use: the held keys
 * carry over into the new state, and the virtual keyboard gets it. */
static void adopt_keymap(struct wlr_injector *w, const char *text, size_t len)
{
    if (w->keys && keystate_same_keymap(w->keys, text, len))
        return;
    g_autofree char *error = NULL;
    struct keystate *ks = keystate_create_from_string(text, len, &error);
    if (!ks) {
        g_warning("input: %s; keeping the current keymap", error);
        return;
    }
    /* The compositor may hand back the keymap we uploaded in its own
     * serialization: the same keymap, no new upload. */
    size_t new_size;
    const char *new_text = keystate_keymap_text(ks, &new_size);
    if (w->keys && keystate_same_keymap(w->keys, new_text, new_size)) {
        keystate_destroy(ks);
        return;
    }
    for (unsigned code = 1; code <= KEY_MAX; code++)
        if (injector_key_is_down(w->inj, code))
            keystate_key(ks, code, true);
    bool first = !w->keys;
    keystate_destroy(w->keys);
    w->keys = ks;
    w->keymap_from_seat = true;
    if (!first)
        g_message("input: the session's keymap changed (layout switch): uploading it to the virtual keyboard");
    if (w->vkbd) {
        int rc = upload_keymap(w);
        if (rc < 0)
            g_warning("input: cannot upload the keymap: %s", g_strerror(-rc));
        /* Clients start a new keymap with an empty state, and wlroots 0.15
         * tells them the modifiers only when they change: with modifiers
         * held or locked, clear them for a moment so that clients hear them
         * again. */
        struct keystate_mods m;
        keystate_get_mods(w->keys, &m);
        if (m.depressed || m.latched || m.locked || m.group)
            zwp_virtual_keyboard_v1_modifiers(w->vkbd, 0, 0, 0, 0);
        send_modifiers(w);
        flush(w);
    }
    update_leds(w);
}

static void on_kb_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd,
                         uint32_t size)
{
    struct wlr_injector *w = data;
    if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || size == 0 || size > (64u << 20)) {
        close(fd);
        return;
    }
    char *text = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED) {
        g_warning("input: cannot read the seat's keymap: %s", g_strerror(errno));
        return;
    }
    adopt_keymap(w, text, size);
    munmap(text, size);
}

static void on_kb_enter(void *data, struct wl_keyboard *kb, uint32_t serial,
                        struct wl_surface *surface, struct wl_array *keys)
{
}

static void on_kb_leave(void *data, struct wl_keyboard *kb, uint32_t serial,
                        struct wl_surface *surface)
{
}

static void on_kb_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time,
                      uint32_t key, uint32_t state)
{
}

static void on_kb_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t depressed,
                            uint32_t latched, uint32_t locked, uint32_t group)
{
}

static void on_kb_repeat_info(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
    .keymap = on_kb_keymap,
    .enter = on_kb_enter,
    .leave = on_kb_leave,
    .key = on_kb_key,
    .modifiers = on_kb_modifiers,
    .repeat_info = on_kb_repeat_info,
};

static void on_seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
    struct wlr_injector *w = data;
    bool has_keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
    if (has_keyboard && !w->keyboard) {
        w->keyboard = wl_seat_get_keyboard(seat);
        wl_keyboard_add_listener(w->keyboard, &keyboard_listener, w);
    } else if (!has_keyboard && w->keyboard) {
        if (w->seat_version >= WL_KEYBOARD_RELEASE_SINCE_VERSION)
            wl_keyboard_release(w->keyboard);
        else
            wl_keyboard_destroy(w->keyboard);
        w->keyboard = NULL;
    }
}

static void on_seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
    .capabilities = on_seat_capabilities,
    .name = on_seat_name,
};

/* --- globals --- */

static void on_global(void *data, struct wl_registry *registry, uint32_t name,
                      const char *interface, uint32_t version)
{
    struct wlr_injector *w = data;
    if (strcmp(interface, wl_seat_interface.name) == 0 && !w->seat) {
        w->seat_version = MIN(version, 5);
        w->seat = wl_registry_bind(registry, name, &wl_seat_interface, w->seat_version);
        wl_seat_add_listener(w->seat, &seat_listener, w);
    } else if (strcmp(interface, wl_output_interface.name) == 0 && !w->output) {
        /* The first output, as capture-wlr captures it. */
        w->output = wl_registry_bind(registry, name, &wl_output_interface, 1);
    } else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0 &&
               !w->kbd_manager) {
        w->kbd_manager =
            wl_registry_bind(registry, name, &zwp_virtual_keyboard_manager_v1_interface, 1);
    } else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0 &&
               !w->ptr_manager) {
        w->ptr_version = MIN(version, 2);
        w->ptr_manager = wl_registry_bind(
            registry, name, &zwlr_virtual_pointer_manager_v1_interface, w->ptr_version);
    }
}

static void on_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
    .global = on_global,
    .global_remove = on_global_remove,
};

static void on_lost(const char *why, void *data)
{
    struct wlr_injector *w = data;
    w->lost = true;
    g_warning("input: Wayland compositor %s: %s; keyboard and pointer input stop", w->name, why);
}

/* --- ops --- */

static const char *wayland_name(const struct injector_config *config)
{
    const char *name =
        config->wayland_display ? config->wayland_display : g_getenv("WAYLAND_DISPLAY");
    return name && *name ? name : NULL;
}

static void wlr_free(struct wlr_injector *w)
{
    if (w->source)
        w->loop->detach(w->source);
    if (w->vkbd)
        zwp_virtual_keyboard_v1_destroy(w->vkbd);
    if (w->vptr)
        zwlr_virtual_pointer_v1_destroy(w->vptr);
    if (w->ptr_manager)
        zwlr_virtual_pointer_manager_v1_destroy(w->ptr_manager);
    if (w->kbd_manager)
        zwp_virtual_keyboard_manager_v1_destroy(w->kbd_manager);
    if (w->keyboard)
        wl_keyboard_destroy(w->keyboard);
    if (w->output)
        wl_output_destroy(w->output);
    if (w->seat)
        wl_seat_destroy(w->seat);
    if (w->registry)
        wl_registry_destroy(w->registry);
    if (w->display) {
        /* What is queued (releases of held keys) still goes out. */
        wl_display_flush(w->display);
        wl_display_disconnect(w->display);
    }
    keystate_destroy(w->keys);
    g_free(w->name);
    g_free(w);
}

/* Connects and finds the globals. Returns 0, or -errno with *ret_error. */
static int wlr_connect(struct wlr_injector *w, const struct injector_config *config,
                       char **ret_error)
{
    const char *name = wayland_name(config);
    if (!name) {
        *ret_error = g_strdup("--input=wlr needs a Wayland session, but WAYLAND_DISPLAY is not set: run the agent inside the sway session");
        return -EINVAL;
    }
    w->name = g_strdup(name);
    w->display = wl_display_connect(name);
    if (!w->display) {
        *ret_error = g_strdup_printf("--input=wlr: cannot connect to Wayland display %s: %s (is the compositor running, and is $XDG_RUNTIME_DIR right?)",
                                     name, g_strerror(errno));
        return -ENOENT;
    }
    w->registry = wl_display_get_registry(w->display);
    wl_registry_add_listener(w->registry, &registry_listener, w);
    if (wl_display_roundtrip(w->display) < 0) {
        *ret_error = g_strdup_printf("--input=wlr: Wayland display %s hung up", name);
        return -EPIPE;
    }
    if (!w->kbd_manager || !w->ptr_manager || !w->seat) {
        *ret_error = g_strdup_printf(
            "--input=wlr cannot work on Wayland display %s: the compositor offers no %s; it needs a wlroots compositor such as sway",
            name,
            !w->seat          ? "seat (wl_seat)"
            : !w->kbd_manager ? "virtual keyboard (zwp_virtual_keyboard_manager_v1)"
                              : "virtual pointer (zwlr_virtual_pointer_manager_v1)");
        return -ENOTSUP;
    }
    return 0;
}

static int wlr_create(struct injector *inj, const struct injector_config *config, char **ret_error)
{
    if (!config->wayland_loop) {
        *ret_error = g_strdup("--input=wlr: no main-loop hook for the Wayland connection");
        return -EINVAL;
    }
    struct wlr_injector *w = g_new0(struct wlr_injector, 1);
    w->inj = inj;
    w->loop = config->wayland_loop;
    int rc = wlr_connect(w, config, ret_error);
    if (rc < 0)
        goto err_free;
    /* The seat's capabilities, then (with a keyboard) its keymap. */
    if (wl_display_roundtrip(w->display) < 0 || wl_display_roundtrip(w->display) < 0) {
        *ret_error = g_strdup_printf("--input=wlr: Wayland display %s hung up", w->name);
        rc = -EPIPE;
        goto err_free;
    }
    if (!w->keys) {
        g_autofree char *error = NULL;
        w->keys = keystate_create_from_names(NULL, NULL, &error);
        if (!w->keys) {
            *ret_error = g_strdup_printf("--input=wlr: %s", error);
            rc = -EINVAL;
            goto err_free;
        }
        const char *layout = g_getenv("XKB_DEFAULT_LAYOUT");
        g_message("input: the seat has no keyboard yet: typing in the default XKB layout (%s) until the compositor sends its keymap",
                  layout && *layout ? layout : "us");
    }
    w->vkbd = zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(w->kbd_manager, w->seat);
    rc = upload_keymap(w);
    if (rc < 0) {
        *ret_error = g_strdup_printf("--input=wlr: cannot upload the keymap: %s", g_strerror(-rc));
        goto err_free;
    }
    /* A harmless first event: it makes the virtual keyboard the seat's
     * active one now, so the first real key does not race its keymap. */
    send_modifiers(w);
    if (w->ptr_version >= 2 && w->output)
        w->vptr = zwlr_virtual_pointer_manager_v1_create_virtual_pointer_with_output(
            w->ptr_manager, w->seat, w->output);
    else
        w->vptr = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(w->ptr_manager, w->seat);
    zwlr_virtual_pointer_v1_axis_source(w->vptr, WL_POINTER_AXIS_SOURCE_WHEEL);
    if (wl_display_roundtrip(w->display) < 0) {
        g_autofree char *why = w->loop->describe_error(w->display);
        *ret_error = g_strdup_printf(
            "--input=wlr: Wayland display %s refused the virtual keyboard or pointer: %s", w->name,
            why ? why : "hung up");
        rc = -EPIPE;
        goto err_free;
    }
    w->leds = keystate_leds(w->keys);
    w->source = w->loop->attach(w->display, on_lost, w);
    inj->priv = w;
    return 0;

err_free:
    wlr_free(w);
    return rc;
}

static void wlr_destroy(struct injector *inj)
{
    wlr_free(inj->priv);
}

static void wlr_key(struct injector *inj, unsigned code, bool pressed)
{
    struct wlr_injector *w = inj->priv;
    if (w->lost)
        return;
    bool mods_changed = keystate_key(w->keys, code, pressed);
    zwp_virtual_keyboard_v1_key(w->vkbd, now_ms(), code,
                                pressed ? WL_KEYBOARD_KEY_STATE_PRESSED
                                        : WL_KEYBOARD_KEY_STATE_RELEASED);
    if (mods_changed)
        send_modifiers(w);
    flush(w);
    update_leds(w);
}

static void wlr_move_to(struct injector *inj, int x, int y)
{
    struct wlr_injector *w = inj->priv;
    if (w->lost)
        return;
    zwlr_virtual_pointer_v1_motion_absolute(w->vptr, now_ms(), (uint32_t)x, (uint32_t)y,
                                            (uint32_t)inj->width, (uint32_t)inj->height);
    zwlr_virtual_pointer_v1_frame(w->vptr);
    flush(w);
}

static void wlr_move_by(struct injector *inj, int dx, int dy)
{
    struct wlr_injector *w = inj->priv;
    if (w->lost)
        return;
    zwlr_virtual_pointer_v1_motion(w->vptr, now_ms(), wl_fixed_from_int(dx), wl_fixed_from_int(dy));
    zwlr_virtual_pointer_v1_frame(w->vptr);
    flush(w);
}

static const unsigned button_codes[INJECTOR_N_BUTTONS] = {
    [INJECTOR_BUTTON_LEFT] = BTN_LEFT,   [INJECTOR_BUTTON_MIDDLE] = BTN_MIDDLE,
    [INJECTOR_BUTTON_RIGHT] = BTN_RIGHT, [INJECTOR_BUTTON_SIDE] = BTN_SIDE,
    [INJECTOR_BUTTON_EXTRA] = BTN_EXTRA,
};

static void wlr_button(struct injector *inj, enum injector_button button, bool pressed)
{
    struct wlr_injector *w = inj->priv;
    if (w->lost)
        return;
    zwlr_virtual_pointer_v1_button(w->vptr, now_ms(), button_codes[button],
                                   pressed ? WL_POINTER_BUTTON_STATE_PRESSED
                                           : WL_POINTER_BUTTON_STATE_RELEASED);
    zwlr_virtual_pointer_v1_frame(w->vptr);
    flush(w);
}

static void wlr_wheel(struct injector *inj, int dy, int dx)
{
    struct wlr_injector *w = inj->priv;
    if (w->lost)
        return;
    uint32_t t = now_ms();
    zwlr_virtual_pointer_v1_axis_source(w->vptr, WL_POINTER_AXIS_SOURCE_WHEEL);
    if (dy)
        zwlr_virtual_pointer_v1_axis_discrete(w->vptr, t, WL_POINTER_AXIS_VERTICAL_SCROLL,
                                              wl_fixed_from_int(dy * WHEEL_STEP), dy);
    if (dx)
        zwlr_virtual_pointer_v1_axis_discrete(w->vptr, t, WL_POINTER_AXIS_HORIZONTAL_SCROLL,
                                              wl_fixed_from_int(dx * WHEEL_STEP), dx);
    zwlr_virtual_pointer_v1_frame(w->vptr);
    flush(w);
}

static unsigned wlr_get_leds(struct injector *inj)
{
    struct wlr_injector *w = inj->priv;
    return w->leds;
}

static int wlr_probe(const struct injector_config *config, char **ret_reason)
{
    struct wlr_injector *w = g_new0(struct wlr_injector, 1);
    int rc = wlr_connect(w, config, ret_reason);
    if (rc == 0)
        *ret_reason = g_strdup_printf(
            "the compositor on WAYLAND_DISPLAY=%s offers a virtual keyboard and pointer", w->name);
    wlr_free(w);
    return rc == 0 ? 1 : rc == -ENOTSUP || rc == -EINVAL ? 0 : rc;
}

const struct injector_ops injector_wlr_ops = {
    .name = "wlr",
    .create = wlr_create,
    .destroy = wlr_destroy,
    .key = wlr_key,
    .move_to = wlr_move_to,
    .move_by = wlr_move_by,
    .button = wlr_button,
    .wheel = wlr_wheel,
    .get_leds = wlr_get_leds,
    .probe = wlr_probe,
};
