/* capture-fake: scripted frames for tests, benchmarks and guests without X.
 *
 * Selected with --capture=fake. It renders deterministic pictures
 * (display/fake-pattern.c) into its own canvas on a timer and reports damage
 * like a real backend, through the same frame pool machinery. */
#include "display/capture-priv.h"
#include "display/fake-pattern.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>


struct fake {
    struct capture *cap;
    enum fake_script script;
    int fps;
    uint8_t *canvas;
    uint64_t frame_no;
    guint timer;
    bool dirty;
    bool notified;
};

static gboolean on_tick(gpointer data)
{
    struct fake *f = data;
    f->frame_no++;
    fake_pattern_render(f->script, f->frame_no, f->cap->width, f->cap->height, f->canvas,
                        f->cap->width * 4);
    f->dirty = true;
    if (!f->notified) {
        f->notified = true;
        capture_emit_damage_pending(f->cap);
    }
    return G_SOURCE_CONTINUE;
}

static int fake_create(struct capture *cap, const struct capture_config *config,
                       char **ret_error)
{
    struct fake *f = g_new0(struct fake, 1);
    f->cap = cap;
    if (!fake_script_parse(config->fake_script ? config->fake_script : "static", &f->script)) {
        *ret_error = g_strdup_printf("unknown fake capture script '%s' (static, full, scroll, waiting)",
                                     config->fake_script);
        g_free(f);
        return -EINVAL;
    }
    cap->width = config->fake_width > 0 ? config->fake_width : 1280;
    cap->height = config->fake_height > 0 ? config->fake_height : 720;
    f->fps = config->fake_fps > 0 ? config->fake_fps : 30;
    f->canvas = g_malloc((size_t)cap->width * cap->height * 4);
    fake_pattern_render(f->script, 0, cap->width, cap->height, f->canvas, cap->width * 4);
    cap->priv = f;
    return 0;
}

static void fake_destroy(struct capture *cap)
{
    struct fake *f = cap->priv;
    if (f->timer)
        g_source_remove(f->timer);
    g_free(f->canvas);
    g_free(f);
}

static void fake_start(struct capture *cap)
{
    struct fake *f = cap->priv;
    if (f->script != FAKE_STATIC && f->script != FAKE_WAITING)
        f->timer = g_timeout_add(1000 / f->fps, on_tick, f);
}

static void fake_stop(struct capture *cap)
{
    struct fake *f = cap->priv;
    if (f->timer)
        g_source_remove(f->timer);
    f->timer = 0;
    f->notified = false;
}

static void fake_collect_damage(struct capture *cap, struct damage *damage)
{
    struct fake *f = cap->priv;
    f->notified = false;
    if (f->dirty)
        damage_add_all(damage);
    f->dirty = false;
}

static struct frame *fake_grab(struct capture *cap, const struct damage_rect *rects, int n)
{
    struct fake *f = cap->priv;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rects[i].w * rects[i].h * 4;
    struct frame *frame = frame_new(total);
    uint8_t *dst = frame->data;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        for (int y = 0; y < r->h; y++) {
            memcpy(dst, f->canvas + ((size_t)(r->y + y) * cap->width + r->x) * 4,
                   (size_t)r->w * 4);
            dst += (size_t)r->w * 4;
        }
    }
    return frame;
}

const struct capture_ops capture_fake_ops = {
    .name = "fake",
    .create = fake_create,
    .destroy = fake_destroy,
    .start = fake_start,
    .stop = fake_stop,
    .collect_damage = fake_collect_damage,
    .grab = fake_grab,
};
