/* Shared by display/capture.c and its backends only. */
#pragma once

#include "display/capture.h"

struct capture_ops {
    const char *name;
    /* Allocates its private state into cap->priv. Returns 0 or -errno and sets
     * *ret_error. */
    int (*create)(struct capture *cap, const struct capture_config *config, char **ret_error);
    void (*destroy)(struct capture *cap);
    void (*start)(struct capture *cap);
    void (*stop)(struct capture *cap);
    void (*collect_damage)(struct capture *cap, struct damage *damage);
    struct frame *(*grab)(struct capture *cap, const struct damage_rect *rects, int n);
    /* Optional. */
    int (*take_moves)(struct capture *cap, struct copy_hint *ret_hints, int max);
    /* Optional: see capture_request_size(). */
    int (*request_size)(struct capture *cap, int width, int height, char **ret_reason);
    /* Optional: see capture_probe(). */
    int (*probe)(const char *where, char **ret_reason);
};

struct capture {
    const struct capture_ops *ops;
    const struct capture_listener *listener;
    void *user_data;
    void *priv;
    int width, height;
    struct cursor_image *cursor;
    bool running;
};

extern const struct capture_ops capture_x11_ops;
extern const struct capture_ops capture_fake_ops;
extern const struct capture_ops capture_wlr_ops;
extern const struct capture_ops capture_mutter_ops;

/* Helpers for backends: forward events to the listener. */
void capture_emit_damage_pending(struct capture *cap);
void capture_emit_resized(struct capture *cap, int width, int height);
/* Takes ownership of @cursor. */
void capture_emit_cursor(struct capture *cap, struct cursor_image *cursor);
void capture_emit_lost(struct capture *cap, const char *message);
