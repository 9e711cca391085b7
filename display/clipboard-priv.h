/* Shared by display/clipboard.c and its backends only. */
#pragma once

#include "display/clipboard.h"

struct clipboard_ops {
    const char *name;
    /* Sets c->priv. Returns 0 or -errno and sets *ret_error. */
    int (*create)(struct clipboard *c, const struct clipboard_config *config, char **ret_error);
    void (*destroy)(struct clipboard *c);
    void (*own)(struct clipboard *c, int sel, unsigned formats);
    void (*disown)(struct clipboard *c, int sel);
    void (*request)(struct clipboard *c, int sel, int format);
    void (*provide)(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len);
};

struct clipboard {
    const struct clipboard_ops *ops;
    struct clipboard_listener listener;
    void *priv;
};

extern const struct clipboard_ops clipboard_x11_ops;
extern const struct clipboard_ops clipboard_wlr_ops;
extern const struct clipboard_ops clipboard_mutter_ops;
