/* Shared by input/injector.c and its backends only. */
#pragma once

#include <linux/input-event-codes.h>

#include "input/injector.h"

struct injector_ops {
    const char *name;
    /* Allocates its private state into inj->priv. Returns 0 or -errno and
     * sets *ret_error. */
    int (*create)(struct injector *inj, const struct injector_config *config, char **ret_error);
    void (*destroy)(struct injector *inj);
    void (*key)(struct injector *inj, unsigned code, bool pressed);
    /* Absolute position, already clamped to the screen. */
    void (*move_to)(struct injector *inj, int x, int y);
    void (*move_by)(struct injector *inj, int dx, int dy);
    void (*button)(struct injector *inj, enum injector_button button, bool pressed);
    void (*wheel)(struct injector *inj, int dy, int dx);
    /* Current LEDs (enum injector_led bits). */
    unsigned (*get_leds)(struct injector *inj);
    /* Optional: 1 when the backend can work here, 0 when it cannot (a
     * reason either way), -errno when asking failed. */
    int (*probe)(const struct injector_config *config, char **ret_reason);
};

struct injector {
    const struct injector_ops *ops;
    const struct injector_listener *listener;
    void *user_data;
    void *priv;
    int width, height;
    int x, y;
    unsigned buttons;
    uint8_t keys[(KEY_MAX + 1) / 8];
};

extern const struct injector_ops injector_uinput_ops;
extern const struct injector_ops injector_xtest_ops;
extern const struct injector_ops injector_fake_ops;
extern const struct injector_ops injector_wlr_ops;
extern const struct injector_ops injector_mutter_ops;

/* For backends: the desktop's LEDs changed. */
void injector_emit_leds(struct injector *inj, unsigned leds);
/* True when /dev/uinput (or @path) can be opened for writing. */
bool injector_uinput_usable(const char *path);
