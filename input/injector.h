/* injector: puts keyboard and pointer events into the desktop.
 *
 * One dispatcher over backends, each an ops table in its own file:
 *   uinput  virtual evdev devices through /dev/uinput (libevdev): X11, Wayland
 *           and the text console alike; needs write access to /dev/uinput
 *   xtest   the XTEST extension of an X server (xcb): no privileges
 *   wlr     a wlroots compositor's (sway) virtual keyboard and pointer, typing
 *           in the session's XKB keymap: no privileges
 *   mutter  GNOME on Wayland: Notify* calls on the agent's Mutter
 *           remote-desktop session (evdev codes, absolute motion on its stream)
 *   fake    records every event, for tests and benchmarks
 * "auto" picks uinput when /dev/uinput is writable, else xtest.
 *
 * The dispatcher keeps what is held down, so release_all() can let go of
 * every key and button, and clamps absolute positions to the screen.
 * Main thread only. Lock-key LED changes in the desktop are reported through
 * the listener given at create time. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct injector;

enum injector_button {
    INJECTOR_BUTTON_LEFT,
    INJECTOR_BUTTON_MIDDLE,
    INJECTOR_BUTTON_RIGHT,
    INJECTOR_BUTTON_SIDE,
    INJECTOR_BUTTON_EXTRA,
    INJECTOR_N_BUTTONS,
};

/* Lock-key LEDs, the same bits as the SPICE keyboard modifier flags. */
enum injector_led {
    INJECTOR_LED_SCROLL_LOCK = 1 << 0,
    INJECTOR_LED_NUM_LOCK = 1 << 1,
    INJECTOR_LED_CAPS_LOCK = 1 << 2,
};

/* mutter: the compositor's remote-desktop session, owned by the agent (its
 * screen cast uses the same session). */
struct injector_remote_desktop {
    /* Calls @method of org.gnome.Mutter.RemoteDesktop.Session with @args (a
     * tuple, floating references are sunk), in order, without waiting for
     * the answer. Returns false (and drops the event) when no session is
     * open. */
    bool (*call)(void *data, const char *method, GVariant *args);
    /* The object path of the session's screen-cast stream, which absolute
     * motion is relative to, or NULL while there is none. */
    const char *(*stream_path)(void *data);
    /* The desktop's lock keys (enum injector_led bits), and who to tell when
     * they change: @changed (NULL: nobody) is called on the main loop. */
    unsigned (*get_leds)(void *data);
    void (*watch_leds)(void *data, void (*changed)(unsigned leds, void *user), void *user);
    void *data;
};


struct wl_display;

/* How the wlr backend has its Wayland connection driven by the GLib main
 * loop (read, dispatch, flush; a broken connection reported once through
 * @lost). display/ implements it and input/ must not include display/, so
 * the composition root hands it in. */
struct injector_wayland_loop {
    void *(*attach)(struct wl_display *display, void (*lost)(const char *why, void *user_data),
                    void *user_data);
    void (*detach)(void *source); /* accepts NULL */
    void (*flush)(void *source);
    /* The connection's error as a new sentence, or NULL while it is healthy. */
    char *(*describe_error)(struct wl_display *display);
};

struct injector_config {
    const char *backend;     /* "auto", "uinput", "xtest", "wlr", "mutter" or "fake" */
    const char *display;     /* X display for xtest; NULL: $DISPLAY */
    const char *wayland_display; /* for wlr; NULL: $WAYLAND_DISPLAY */
    const struct injector_wayland_loop *wayland_loop; /* needed by wlr (not by its probe) */
    int width, height;       /* screen size in pixels */
    const char *uinput_path; /* NULL: /dev/uinput */
    const struct injector_remote_desktop *remote_desktop; /* mutter; copied */
};

struct injector_listener {
    /* The desktop's lock-key LEDs changed (enum injector_led bits). */
    void (*leds_changed)(unsigned leds, void *user_data);
};

/* Returns NULL and sets *ret_error (a new string) when the backend cannot start. */
struct injector *injector_create(const struct injector_config *config,
                                 const struct injector_listener *listener, void *user_data,
                                 char **ret_error);
void injector_destroy(struct injector *injector);

/* Whether @backend can work here: 1 yes, 0 no, -errno when asking failed;
 * *ret_reason (a new string) says why either way. Backends that cannot
 * tell before creating answer 1. */
int injector_probe(const char *backend, const struct injector_config *config,
                   char **ret_reason);

const char *injector_name(const struct injector *injector);

void injector_set_screen_size(struct injector *injector, int width, int height);

/* @code is a Linux evdev KEY_* code (1..KEY_MAX). Repeated presses of a held
 * key are passed on (autorepeat); releases of keys not held are dropped. */
void injector_key(struct injector *injector, unsigned code, bool pressed);
bool injector_key_is_down(const struct injector *injector, unsigned code);

/* Absolute position in screen pixels, clamped to the screen. */
void injector_move_to(struct injector *injector, int x, int y);
/* Relative motion (server mouse mode). */
void injector_move_by(struct injector *injector, int dx, int dy);
void injector_get_position(const struct injector *injector, int *ret_x, int *ret_y);

void injector_button(struct injector *injector, enum injector_button button, bool pressed);
/* Sets every button from a mask (bit n = enum injector_button n): presses and
 * releases only what changed. */
void injector_set_buttons(struct injector *injector, unsigned mask);
unsigned injector_get_buttons(const struct injector *injector);

/* Wheel clicks: @dy > 0 scrolls down, @dx > 0 scrolls right. */
void injector_wheel(struct injector *injector, int dy, int dx);

/* Releases every key and button held down (the client went away). */
void injector_release_all(struct injector *injector);

/* Current lock-key LEDs (enum injector_led bits). */
unsigned injector_get_leds(struct injector *injector);

/* Maps a screen coordinate to the 0..32767 range of an absolute device. */
int injector_scale_to_abs(int pos, int size);
