#include "input/injector-fake.h"

#include <glib.h>

#include "input/injector-priv.h"

struct fake {
    GArray *events;
    unsigned leds;
};

static int fake_create(struct injector *inj, const struct injector_config *config, char **ret_error)
{
    struct fake *f = g_new0(struct fake, 1);
    f->events = g_array_new(FALSE, TRUE, sizeof(struct injector_fake_event));
    inj->priv = f;
    return 0;
}

static void fake_destroy(struct injector *inj)
{
    struct fake *f = inj->priv;
    g_array_free(f->events, TRUE);
    g_free(f);
}

static void record(struct injector *inj, enum injector_fake_type type, unsigned code, bool pressed,
                   int x, int y)
{
    struct fake *f = inj->priv;
    struct injector_fake_event ev = {
        .type = type,
        .code = code,
        .pressed = pressed,
        .x = x,
        .y = y,
        .time_us = g_get_monotonic_time(),
    };
    g_array_append_val(f->events, ev);
}

static void fake_key(struct injector *inj, unsigned code, bool pressed)
{
    record(inj, INJECTOR_FAKE_KEY, code, pressed, 0, 0);
    /* Like a desktop: a lock key toggles its LED when pressed. */
    unsigned led = code == KEY_CAPSLOCK     ? INJECTOR_LED_CAPS_LOCK
                   : code == KEY_NUMLOCK    ? INJECTOR_LED_NUM_LOCK
                   : code == KEY_SCROLLLOCK ? INJECTOR_LED_SCROLL_LOCK
                                            : 0;
    if (led && pressed)
        injector_fake_set_leds(inj, injector_get_leds(inj) ^ led);
}

static void fake_move_to(struct injector *inj, int x, int y)
{
    record(inj, INJECTOR_FAKE_MOVE_TO, 0, false, x, y);
}

static void fake_move_by(struct injector *inj, int dx, int dy)
{
    record(inj, INJECTOR_FAKE_MOVE_BY, 0, false, dx, dy);
}

static void fake_button(struct injector *inj, enum injector_button button, bool pressed)
{
    record(inj, INJECTOR_FAKE_BUTTON, button, pressed, 0, 0);
}

static void fake_wheel(struct injector *inj, int dy, int dx)
{
    record(inj, INJECTOR_FAKE_WHEEL, 0, false, dx, dy);
}

static unsigned fake_get_leds(struct injector *inj)
{
    struct fake *f = inj->priv;
    return f->leds;
}

const struct injector_ops injector_fake_ops = {
    .name = "fake",
    .create = fake_create,
    .destroy = fake_destroy,
    .key = fake_key,
    .move_to = fake_move_to,
    .move_by = fake_move_by,
    .button = fake_button,
    .wheel = fake_wheel,
    .get_leds = fake_get_leds,
};

static struct fake *fake_of(const struct injector *inj)
{
    g_return_val_if_fail(inj->ops == &injector_fake_ops, NULL);
    return inj->priv;
}

unsigned injector_fake_count(const struct injector *inj)
{
    struct fake *f = fake_of(inj);
    return f ? f->events->len : 0;
}

const struct injector_fake_event *injector_fake_get(const struct injector *inj, unsigned i)
{
    struct fake *f = fake_of(inj);
    if (!f || i >= f->events->len)
        return NULL;
    return &g_array_index(f->events, struct injector_fake_event, i);
}

void injector_fake_clear(struct injector *inj)
{
    struct fake *f = fake_of(inj);
    if (f)
        g_array_set_size(f->events, 0);
}

void injector_fake_set_leds(struct injector *inj, unsigned leds)
{
    struct fake *f = fake_of(inj);
    if (!f || f->leds == leds)
        return;
    f->leds = leds;
    injector_emit_leds(inj, leds);
}
