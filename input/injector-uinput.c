/* uinput: three virtual evdev devices made with libevdev, seen by X11,
 * Wayland compositors and the text console alike:
 *   "thindesk keyboard"  keys and the lock-key LEDs (the desktop sets them,
 *                        we read them back from the uinput fd)
 *   "thindesk tablet"    absolute 0..32767 pointer, buttons, wheels
 *                        (client mouse mode, like QEMU's USB tablet)
 *   "thindesk mouse"     relative pointer, buttons, wheels (server mouse mode)
 * Buttons and wheels go to whichever pointer moved last. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <string.h>
#include <unistd.h>

#include "input/injector-priv.h"

#define DEFAULT_UINPUT_PATH    "/dev/uinput"
#define ABS_RANGE              32767
#define WHEEL_HI_RES_PER_CLICK 120

struct uinput {
    struct libevdev_uinput *keyboard, *tablet, *mouse;
    int kbd_fd;
    guint watch;
    unsigned leds;
    bool relative_last;
};

bool injector_uinput_usable(const char *path)
{
    int fd = open(path ? path : DEFAULT_UINPUT_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static const unsigned pointer_buttons[INJECTOR_N_BUTTONS] = {
    [INJECTOR_BUTTON_LEFT] = BTN_LEFT,   [INJECTOR_BUTTON_MIDDLE] = BTN_MIDDLE,
    [INJECTOR_BUTTON_RIGHT] = BTN_RIGHT, [INJECTOR_BUTTON_SIDE] = BTN_SIDE,
    [INJECTOR_BUTTON_EXTRA] = BTN_EXTRA,
};

static void add_pointer_common(struct libevdev *dev)
{
    libevdev_enable_event_type(dev, EV_KEY);
    for (unsigned i = 0; i < INJECTOR_N_BUTTONS; i++)
        libevdev_enable_event_code(dev, EV_KEY, pointer_buttons[i], NULL);
    libevdev_enable_event_type(dev, EV_REL);
    libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
    libevdev_enable_event_code(dev, EV_REL, REL_HWHEEL, NULL);
    libevdev_enable_event_code(dev, EV_REL, REL_WHEEL_HI_RES, NULL);
    libevdev_enable_event_code(dev, EV_REL, REL_HWHEEL_HI_RES, NULL);
}

/* Creates one device on its own uinput fd. Returns 0 or -errno. */
static int make_device(const char *path, struct libevdev *dev, struct libevdev_uinput **ret)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int err = libevdev_uinput_create_from_device(dev, fd, ret);
    if (err < 0)
        close(fd);
    return err;
}

static void destroy_device(struct libevdev_uinput *ui)
{
    if (!ui)
        return;
    int fd = libevdev_uinput_get_fd(ui);
    libevdev_uinput_destroy(ui);
    close(fd);
}

static unsigned leds_from_evdev(unsigned code, bool on, unsigned leds)
{
    unsigned bit = code == LED_CAPSL     ? INJECTOR_LED_CAPS_LOCK
                   : code == LED_NUML    ? INJECTOR_LED_NUM_LOCK
                   : code == LED_SCROLLL ? INJECTOR_LED_SCROLL_LOCK
                                         : 0;
    return on ? (leds | bit) : (leds & ~bit);
}

/* The desktop (X server, compositor, console) writes LED state to our
 * keyboard; uinput hands those events back on its fd. */
static gboolean on_keyboard_fd(int fd, GIOCondition cond, gpointer data)
{
    struct injector *inj = data;
    struct uinput *u = inj->priv;
    struct input_event ev[16];
    unsigned leds = u->leds;
    ssize_t n;
    while ((n = read(fd, ev, sizeof(ev))) > 0) {
        for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
            if (ev[i].type == EV_LED)
                leds = leds_from_evdev(ev[i].code, ev[i].value != 0, leds);
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        u->watch = 0;
        return G_SOURCE_REMOVE;
    }
    if (leds != u->leds) {
        u->leds = leds;
        injector_emit_leds(inj, leds);
    }
    return G_SOURCE_CONTINUE;
}

static int uinput_create(struct injector *inj, const struct injector_config *config,
                         char **ret_error)
{
    const char *path = config->uinput_path ? config->uinput_path : DEFAULT_UINPUT_PATH;
    struct uinput *u = g_new0(struct uinput, 1);
    inj->priv = u;
    int err;

    struct libevdev *kbd = libevdev_new();
    libevdev_set_name(kbd, "thindesk keyboard");
    libevdev_set_id_bustype(kbd, BUS_VIRTUAL);
    libevdev_enable_event_type(kbd, EV_KEY);
    for (unsigned code = KEY_ESC; code < BTN_MISC; code++)
        libevdev_enable_event_code(kbd, EV_KEY, code, NULL);
    libevdev_enable_event_type(kbd, EV_LED);
    libevdev_enable_event_code(kbd, EV_LED, LED_NUML, NULL);
    libevdev_enable_event_code(kbd, EV_LED, LED_CAPSL, NULL);
    libevdev_enable_event_code(kbd, EV_LED, LED_SCROLLL, NULL);
    err = make_device(path, kbd, &u->keyboard);
    libevdev_free(kbd);
    if (err < 0)
        goto err_free;

    struct libevdev *tablet = libevdev_new();
    libevdev_set_name(tablet, "thindesk tablet");
    libevdev_set_id_bustype(tablet, BUS_VIRTUAL);
    add_pointer_common(tablet);
    struct input_absinfo abs = {.minimum = 0, .maximum = ABS_RANGE};
    libevdev_enable_event_type(tablet, EV_ABS);
    libevdev_enable_event_code(tablet, EV_ABS, ABS_X, &abs);
    libevdev_enable_event_code(tablet, EV_ABS, ABS_Y, &abs);
    err = make_device(path, tablet, &u->tablet);
    libevdev_free(tablet);
    if (err < 0)
        goto err_keyboard;

    struct libevdev *mouse = libevdev_new();
    libevdev_set_name(mouse, "thindesk mouse");
    libevdev_set_id_bustype(mouse, BUS_VIRTUAL);
    add_pointer_common(mouse);
    libevdev_enable_event_code(mouse, EV_REL, REL_X, NULL);
    libevdev_enable_event_code(mouse, EV_REL, REL_Y, NULL);
    err = make_device(path, mouse, &u->mouse);
    libevdev_free(mouse);
    if (err < 0)
        goto err_tablet;

    u->kbd_fd = libevdev_uinput_get_fd(u->keyboard);
    u->watch = g_unix_fd_add(u->kbd_fd, G_IO_IN, on_keyboard_fd, inj);
    g_debug("uinput devices: %s, %s, %s", libevdev_uinput_get_devnode(u->keyboard),
            libevdev_uinput_get_devnode(u->tablet), libevdev_uinput_get_devnode(u->mouse));
    return 0;

err_tablet:
    destroy_device(u->tablet);
err_keyboard:
    destroy_device(u->keyboard);
err_free:
    g_free(u);
    inj->priv = NULL;
    /* clang-format off */
    *ret_error = g_strdup_printf("input: cannot create uinput devices on %s: %s (load the uinput module and give this user write access, or use --input=xtest)", path, g_strerror(-err));
    /* clang-format on */
    return err;
}

static void uinput_destroy(struct injector *inj)
{
    struct uinput *u = inj->priv;
    if (u->watch)
        g_source_remove(u->watch);
    destroy_device(u->mouse);
    destroy_device(u->tablet);
    destroy_device(u->keyboard);
    g_free(u);
}

static void emit(struct libevdev_uinput *ui, unsigned type, unsigned code, int value)
{
    int err = libevdev_uinput_write_event(ui, type, code, value);
    if (err < 0)
        g_debug("uinput write failed: %s", g_strerror(-err));
}

static void sync_report(struct libevdev_uinput *ui)
{
    emit(ui, EV_SYN, SYN_REPORT, 0);
}

static void uinput_key(struct injector *inj, unsigned code, bool pressed)
{
    struct uinput *u = inj->priv;
    if (code >= BTN_MISC)
        return; /* not a keyboard key: not enabled on the keyboard */
    emit(u->keyboard, EV_KEY, code, pressed);
    sync_report(u->keyboard);
}

static void uinput_move_to(struct injector *inj, int x, int y)
{
    struct uinput *u = inj->priv;
    u->relative_last = false;
    emit(u->tablet, EV_ABS, ABS_X, injector_scale_to_abs(x, inj->width));
    emit(u->tablet, EV_ABS, ABS_Y, injector_scale_to_abs(y, inj->height));
    sync_report(u->tablet);
}

static void uinput_move_by(struct injector *inj, int dx, int dy)
{
    struct uinput *u = inj->priv;
    u->relative_last = true;
    if (dx)
        emit(u->mouse, EV_REL, REL_X, dx);
    if (dy)
        emit(u->mouse, EV_REL, REL_Y, dy);
    sync_report(u->mouse);
}

static struct libevdev_uinput *pointer(struct uinput *u)
{
    return u->relative_last ? u->mouse : u->tablet;
}

static void uinput_button(struct injector *inj, enum injector_button button, bool pressed)
{
    struct uinput *u = inj->priv;
    emit(pointer(u), EV_KEY, pointer_buttons[button], pressed);
    sync_report(pointer(u));
}

static void uinput_wheel(struct injector *inj, int dy, int dx)
{
    struct uinput *u = inj->priv;
    struct libevdev_uinput *ui = pointer(u);
    /* Evdev's wheel is positive away from the user (up); ours is positive down. */
    if (dy) {
        emit(ui, EV_REL, REL_WHEEL, -dy);
        emit(ui, EV_REL, REL_WHEEL_HI_RES, -dy * WHEEL_HI_RES_PER_CLICK);
    }
    if (dx) {
        emit(ui, EV_REL, REL_HWHEEL, dx);
        emit(ui, EV_REL, REL_HWHEEL_HI_RES, dx * WHEEL_HI_RES_PER_CLICK);
    }
    sync_report(ui);
}

static unsigned uinput_get_leds(struct injector *inj)
{
    struct uinput *u = inj->priv;
    return u->leds;
}

const struct injector_ops injector_uinput_ops = {
    .name = "uinput",
    .create = uinput_create,
    .destroy = uinput_destroy,
    .key = uinput_key,
    .move_to = uinput_move_to,
    .move_by = uinput_move_by,
    .button = uinput_button,
    .wheel = uinput_wheel,
    .get_leds = uinput_get_leds,
};
