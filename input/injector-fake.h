/* The fake injector's record, for tests and benchmarks. */
#pragma once

#include <stdint.h>

#include "input/injector.h"

enum injector_fake_type {
    INJECTOR_FAKE_KEY,
    INJECTOR_FAKE_MOVE_TO,
    INJECTOR_FAKE_MOVE_BY,
    INJECTOR_FAKE_BUTTON,
    INJECTOR_FAKE_WHEEL,
};

struct injector_fake_event {
    enum injector_fake_type type;
    unsigned code; /* key code or enum injector_button */
    bool pressed;
    int x, y;        /* position, motion or wheel (dx, dy) */
    int64_t time_us; /* g_get_monotonic_time() when injected */
};

/* Only for an injector whose backend is "fake". The pointer stays valid
 * until the next event or injector_fake_clear(). */
unsigned injector_fake_count(const struct injector *injector);
const struct injector_fake_event *injector_fake_get(const struct injector *injector, unsigned i);
void injector_fake_clear(struct injector *injector);
/* Pretends the desktop changed its LEDs: the listener hears about it. */
void injector_fake_set_leds(struct injector *injector, unsigned leds);
