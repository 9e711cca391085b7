#include "input/injector-priv.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static const struct injector_ops *const backends[] = {
    &injector_uinput_ops,
    &injector_xtest_ops,
    &injector_wlr_ops,
    &injector_fake_ops,
    &injector_mutter_ops,
};

static const struct injector_ops *find_backend(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

/* Runs @ops->create on a new injector. Returns NULL and sets *ret_error. */
static struct injector *try_create(const struct injector_ops *ops,
                                   const struct injector_config *config,
                                   const struct injector_listener *listener, void *user_data,
                                   char **ret_error)
{
    struct injector *inj = g_new0(struct injector, 1);
    inj->ops = ops;
    inj->listener = listener;
    inj->user_data = user_data;
    inj->width = MAX(config->width, 1);
    inj->height = MAX(config->height, 1);
    char *error = NULL;
    if (ops->create(inj, config, &error) < 0) {
        *ret_error = error ? error : g_strdup_printf("input backend %s failed", ops->name);
        g_free(inj);
        return NULL;
    }
    g_free(error);
    return inj;
}

struct injector *injector_create(const struct injector_config *config,
                                 const struct injector_listener *listener, void *user_data,
                                 char **ret_error)
{
    const char *name = config->backend ? config->backend : "auto";
    if (strcmp(name, "auto") != 0) {
        const struct injector_ops *ops = find_backend(name);
        if (!ops) {
            *ret_error = g_strdup_printf(
                "unknown input backend '%s' (expected auto, uinput, xtest, wlr, mutter or fake)", name);
            return NULL;
        }
        return try_create(ops, config, listener, user_data, ret_error);
    }

    /* auto: uinput when /dev/uinput is writable, else (or if it fails) xtest. */
    bool uinput_writable = injector_uinput_usable(config->uinput_path);
    if (uinput_writable) {
        char *error = NULL;
        struct injector *inj =
            try_create(&injector_uinput_ops, config, listener, user_data, &error);
        if (inj) {
            g_message("input: using uinput (/dev/uinput is writable)");
            return inj;
        }
        g_warning("%s; trying xtest", error);
        g_free(error);
    }
    struct injector *inj = try_create(&injector_xtest_ops, config, listener, user_data, ret_error);
    if (inj)
        g_message("input: using xtest (%s)",
                  uinput_writable ? "uinput failed" : "/dev/uinput is not writable");
    return inj;
}

int injector_probe(const char *backend, const struct injector_config *config,
                   char **ret_reason)
{
    const struct injector_ops *ops = find_backend(backend);
    if (!ops) {
        *ret_reason = g_strdup_printf("unknown input backend '%s'", backend);
        return 0;
    }
    if (!ops->probe) {
        *ret_reason = g_strdup_printf("%s cannot be probed", backend);
        return 1;
    }
    return ops->probe(config, ret_reason);
}

void injector_destroy(struct injector *inj)
{
    if (!inj)
        return;
    injector_release_all(inj);
    inj->ops->destroy(inj);
    g_free(inj);
}

const char *injector_name(const struct injector *inj)
{
    return inj->ops->name;
}

void injector_set_screen_size(struct injector *inj, int width, int height)
{
    inj->width = MAX(width, 1);
    inj->height = MAX(height, 1);
    inj->x = CLAMP(inj->x, 0, inj->width - 1);
    inj->y = CLAMP(inj->y, 0, inj->height - 1);
}

static bool key_bit(const struct injector *inj, unsigned code)
{
    return inj->keys[code / 8] & (1u << (code % 8));
}

bool injector_key_is_down(const struct injector *inj, unsigned code)
{
    return code >= 1 && code <= KEY_MAX && key_bit(inj, code);
}

void injector_key(struct injector *inj, unsigned code, bool pressed)
{
    if (code < 1 || code > KEY_MAX)
        return;
    if (!pressed && !key_bit(inj, code))
        return;
    if (pressed)
        inj->keys[code / 8] |= 1u << (code % 8);
    else
        inj->keys[code / 8] &= ~(1u << (code % 8));
    inj->ops->key(inj, code, pressed);
}

void injector_move_to(struct injector *inj, int x, int y)
{
    inj->x = CLAMP(x, 0, inj->width - 1);
    inj->y = CLAMP(y, 0, inj->height - 1);
    inj->ops->move_to(inj, inj->x, inj->y);
}

void injector_move_by(struct injector *inj, int dx, int dy)
{
    if (dx == 0 && dy == 0)
        return;
    /* Our idea of the position only; the desktop applies its own acceleration. */
    inj->x = CLAMP(inj->x + dx, 0, inj->width - 1);
    inj->y = CLAMP(inj->y + dy, 0, inj->height - 1);
    inj->ops->move_by(inj, dx, dy);
}

void injector_get_position(const struct injector *inj, int *ret_x, int *ret_y)
{
    *ret_x = inj->x;
    *ret_y = inj->y;
}

void injector_button(struct injector *inj, enum injector_button button, bool pressed)
{
    if ((unsigned)button >= INJECTOR_N_BUTTONS)
        return;
    unsigned bit = 1u << button;
    if (!!(inj->buttons & bit) == pressed)
        return;
    inj->buttons ^= bit;
    inj->ops->button(inj, button, pressed);
}

void injector_set_buttons(struct injector *inj, unsigned mask)
{
    unsigned changed = (inj->buttons ^ mask) & ((1u << INJECTOR_N_BUTTONS) - 1);
    for (unsigned b = 0; b < INJECTOR_N_BUTTONS; b++)
        if (changed & (1u << b))
            injector_button(inj, b, mask & (1u << b));
}

unsigned injector_get_buttons(const struct injector *inj)
{
    return inj->buttons;
}

#define MAX_WHEEL_CLICKS 64

void injector_wheel(struct injector *inj, int dy, int dx)
{
    /* A hostile client could ask for 2^31 clicks at once. */
    dy = CLAMP(dy, -MAX_WHEEL_CLICKS, MAX_WHEEL_CLICKS);
    dx = CLAMP(dx, -MAX_WHEEL_CLICKS, MAX_WHEEL_CLICKS);
    if (dy || dx)
        inj->ops->wheel(inj, dy, dx);
}

void injector_release_all(struct injector *inj)
{
    for (unsigned code = 1; code <= KEY_MAX; code++)
        if (key_bit(inj, code))
            injector_key(inj, code, false);
    injector_set_buttons(inj, 0);
}

unsigned injector_get_leds(struct injector *inj)
{
    return inj->ops->get_leds(inj);
}

void injector_emit_leds(struct injector *inj, unsigned leds)
{
    if (inj->listener && inj->listener->leds_changed)
        inj->listener->leds_changed(leds, inj->user_data);
}

int injector_scale_to_abs(int pos, int size)
{
    if (size <= 1)
        return 0;
    pos = CLAMP(pos, 0, size - 1);
    /* Rounded, so that 0 -> 0 and size-1 -> 32767 exactly. */
    return (int)(((int64_t)pos * 32767 + (size - 1) / 2) / (size - 1));
}
