#include "display/capture-priv.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>

static const struct capture_ops *const backends[] = {
    &capture_x11_ops,
    &capture_wlr_ops,
    &capture_mutter_ops,
    &capture_fake_ops,
};

const char *const *capture_backend_names(void)
{
    static const char *names[G_N_ELEMENTS(backends) + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        names[i] = backends[i]->name;
    return names;
}

static const struct capture_ops *find_backend(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

bool capture_backend_exists(const char *name)
{
    return name && find_backend(name);
}

int capture_probe(const char *backend, const char *where, char **ret_reason)
{
    const struct capture_ops *ops = backend ? find_backend(backend) : NULL;
    if (!ops) {
        *ret_reason = g_strdup_printf("unknown capture backend '%s'", backend);
        return -EINVAL;
    }
    if (!ops->probe) {
        *ret_reason = g_strdup_printf("capture backend %s has no probe", ops->name);
        return 1;
    }
    return ops->probe(where, ret_reason);
}

struct capture *capture_create(const struct capture_config *config,
                               const struct capture_listener *listener, void *user_data,
                               char **ret_error)
{
    const struct capture_ops *ops = find_backend(config->backend ? config->backend : "x11");
    if (!ops) {
        *ret_error = g_strdup_printf("unknown capture backend '%s'", config->backend);
        return NULL;
    }
    struct capture *cap = g_new0(struct capture, 1);
    cap->ops = ops;
    cap->listener = listener;
    cap->user_data = user_data;
    char *error = NULL;
    if (ops->create(cap, config, &error) < 0) {
        *ret_error = error ? error : g_strdup_printf("capture backend %s failed", ops->name);
        g_free(cap);
        return NULL;
    }
    g_free(error);
    return cap;
}

void capture_destroy(struct capture *cap)
{
    if (!cap)
        return;
    cap->ops->destroy(cap);
    cursor_image_free(cap->cursor);
    g_free(cap);
}

const char *capture_name(const struct capture *cap)
{
    return cap->ops->name;
}

void capture_get_size(const struct capture *cap, int *ret_width, int *ret_height)
{
    *ret_width = cap->width;
    *ret_height = cap->height;
}

void capture_start(struct capture *cap)
{
    if (cap->running)
        return;
    cap->running = true;
    cap->ops->start(cap);
}

void capture_stop(struct capture *cap)
{
    if (!cap->running)
        return;
    cap->running = false;
    cap->ops->stop(cap);
}

void capture_collect_damage(struct capture *cap, struct damage *damage)
{
    cap->ops->collect_damage(cap, damage);
}

struct frame *capture_grab(struct capture *cap, const struct damage_rect *rects, int n)
{
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        if (r->x < 0 || r->y < 0 || r->w <= 0 || r->h <= 0 || r->x + r->w > cap->width ||
            r->y + r->h > cap->height)
            return NULL;
    }
    return cap->ops->grab(cap, rects, n);
}

int capture_request_size(struct capture *cap, int width, int height, char **ret_reason)
{
    if (!cap->ops->request_size) {
        *ret_reason = g_strdup_printf("capture %s cannot change the screen's size", cap->ops->name);
        return -ENOTSUP;
    }
    return cap->ops->request_size(cap, width, height, ret_reason);
}

int capture_take_moves(struct capture *cap, struct copy_hint *ret_hints, int max)
{
    return cap->ops->take_moves ? cap->ops->take_moves(cap, ret_hints, max) : 0;
}

const struct cursor_image *capture_get_cursor(const struct capture *cap)
{
    return cap->cursor;
}

void capture_emit_damage_pending(struct capture *cap)
{
    if (cap->listener->damage_pending)
        cap->listener->damage_pending(cap->user_data);
}

void capture_emit_resized(struct capture *cap, int width, int height)
{
    cap->width = width;
    cap->height = height;
    if (cap->listener->resized)
        cap->listener->resized(width, height, cap->user_data);
}

void capture_emit_cursor(struct capture *cap, struct cursor_image *cursor)
{
    cursor_image_free(cap->cursor);
    cap->cursor = cursor;
    if (cap->listener->cursor_changed)
        cap->listener->cursor_changed(cursor, cap->user_data);
}

void capture_emit_lost(struct capture *cap, const char *message)
{
    if (cap->listener->lost)
        cap->listener->lost(message, cap->user_data);
}
