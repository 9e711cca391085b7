#include "agent/web/web-resize.h"

#include <glib.h>

struct web_resize {
    bool (*apply)(int width, int height, void *data);
    void *data;
    int want_w, want_h; /* pending; 0: none */
    int last_w, last_h; /* last applied */
    gint64 last_us;     /* monotonic time of the last apply; 0: never */
    guint timer;
    unsigned applied;
};

struct web_resize *web_resize_create(bool (*apply)(int width, int height, void *data), void *data)
{
    struct web_resize *wr = g_new0(struct web_resize, 1);
    wr->apply = apply;
    wr->data = data;
    return wr;
}

void web_resize_destroy(struct web_resize *wr)
{
    if (!wr)
        return;
    if (wr->timer)
        g_source_remove(wr->timer);
    g_free(wr);
}

static void apply_pending(struct web_resize *wr)
{
    int w = wr->want_w, h = wr->want_h;
    wr->want_w = wr->want_h = 0;
    if (!w || (w == wr->last_w && h == wr->last_h))
        return;
    wr->last_us = g_get_monotonic_time();
    g_message("web: the page is %dx%d: resizing the desktop", w, h);
    if (wr->apply(w, h, wr->data)) {
        wr->last_w = w;
        wr->last_h = h;
        wr->applied++;
    }
}

static gboolean on_timer(gpointer data)
{
    struct web_resize *wr = data;
    wr->timer = 0;
    apply_pending(wr);
    return G_SOURCE_REMOVE;
}

void web_resize_request(struct web_resize *wr, int width, int height)
{
    if (width <= 0 || height <= 0)
        return;
    wr->want_w = CLAMP(width, WEB_RESIZE_MIN_WIDTH, WEB_RESIZE_MAX_WIDTH);
    wr->want_h = CLAMP(height, WEB_RESIZE_MIN_HEIGHT, WEB_RESIZE_MAX_HEIGHT);
    if (wr->timer)
        return; /* folded into the pending one */
    gint64 since_ms = (g_get_monotonic_time() - wr->last_us) / 1000;
    if (!wr->last_us || since_ms >= WEB_RESIZE_INTERVAL_MS) {
        apply_pending(wr);
        return;
    }
    wr->timer = g_timeout_add((guint)(WEB_RESIZE_INTERVAL_MS - since_ms), on_timer, wr);
}

void web_resize_page_gone(struct web_resize *wr)
{
    if (wr->timer)
        g_source_remove(wr->timer);
    wr->timer = 0;
    wr->want_w = wr->want_h = 0;
    wr->last_w = wr->last_h = 0;
}

unsigned web_resize_applied(const struct web_resize *wr)
{
    return wr->applied;
}
