/* Copy detection on synthetic frames. The property that matters: replaying
 * the proposed copies on the client's old picture, then drawing the pixels
 * of everything the copies do not cover, gives exactly the new picture. */
#include <glib.h>
#include <string.h>

#include "display/copy-detect.h"

#define W 320
#define H 240

static uint32_t pattern(int x, int y, int seed)
{
    /* Busy and unique per row: no two rows alike. */
    uint32_t v = (uint32_t)(x * 2654435761u) ^ (uint32_t)((y + seed) * 40503u) ^ (uint32_t)seed;
    return v & 0xffffff;
}

static void fill(uint32_t *px, int seed)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = pattern(x, y, seed);
}

/* Packs the pixels of @rects of a full-screen picture like capture_grab. */
static uint8_t *pack(const uint32_t *screen, const struct damage_rect *rects, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rects[i].w * rects[i].h * 4;
    uint8_t *data = g_malloc(total ? total : 1), *p = data;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < rects[i].h; y++, p += rects[i].w * 4)
            memcpy(p, screen + (size_t)(rects[i].y + y) * W + rects[i].x, rects[i].w * 4);
    return data;
}

/* What the client ends up with: @old, then the copies in order, then the new
 * pixels of the damaged rectangles outside the copies' destinations. */
static void replay(uint32_t *client, const uint32_t *now, const struct damage_rect *rects, int n,
                   const struct copy_op *ops, int n_ops)
{
    for (int i = 0; i < n_ops; i++) {
        const struct copy_op *op = &ops[i];
        uint32_t *tmp = g_new(uint32_t, (size_t)op->dst.w * op->dst.h);
        for (int y = 0; y < op->dst.h; y++)
            memcpy(tmp + (size_t)y * op->dst.w, client + (size_t)(op->src_y + y) * W + op->src_x,
                   op->dst.w * 4);
        for (int y = 0; y < op->dst.h; y++)
            memcpy(client + (size_t)(op->dst.y + y) * W + op->dst.x, tmp + (size_t)y * op->dst.w,
                   op->dst.w * 4);
        g_free(tmp);
    }
    for (int i = 0; i < n; i++)
        for (int y = rects[i].y; y < rects[i].y + rects[i].h; y++)
            for (int x = rects[i].x; x < rects[i].x + rects[i].w; x++) {
                bool copied = false;
                for (int k = 0; k < n_ops; k++) {
                    const struct damage_rect *d = &ops[k].dst;
                    copied |= x >= d->x && x < d->x + d->w && y >= d->y && y < d->y + d->h;
                }
                if (!copied)
                    client[y * W + x] = now[y * W + x];
            }
}

struct scene {
    uint32_t before[W * H], after[W * H], client[W * H];
    struct copy_op ops[32];
    int n_ops;
};

/* Commits @before fully, then finds copies for @rects of @after and checks
 * the replay is exact. Returns the number of copied pixels. */
static long run(struct scene *s, const struct damage_rect *rects, int n,
                const struct copy_hint *hints, int n_hints)
{
    struct copy_detect *cd = copy_detect_create(W, H);
    struct damage_rect all = {0, 0, W, H};
    uint8_t *full = pack(s->before, &all, 1);
    copy_detect_commit(cd, &all, 1, full);
    g_free(full);
    uint8_t *data = pack(s->after, rects, n);
    s->n_ops = copy_detect_find(cd, rects, n, data, hints, n_hints, s->ops, 32);
    memcpy(s->client, s->before, sizeof(s->client));
    replay(s->client, s->after, rects, n, s->ops, s->n_ops);
    g_assert_cmpmem(s->client, sizeof(s->client), s->after, sizeof(s->after));
    long copied = 0;
    for (int i = 0; i < s->n_ops; i++)
        copied += (long)s->ops[i].dst.w * s->ops[i].dst.h;
    g_free(data);
    copy_detect_destroy(cd);
    return copied;
}

static void scroll_region(struct scene *s, struct damage_rect r, int lines, int seed)
{
    memcpy(s->after, s->before, sizeof(s->after));
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            s->after[y * W + x] = y + lines < r.y + r.h ? s->before[(y + lines) * W + x]
                                                        : pattern(x, y, seed);
}

static void test_exact_scroll(void)
{
    struct scene *s = g_new0(struct scene, 1);
    fill(s->before, 1);
    struct damage_rect r = {10, 20, 200, 180};
    scroll_region(s, r, 13, 99);
    long copied = run(s, &r, 1, NULL, 0);
    g_assert_cmpint(s->n_ops, ==, 1);
    g_assert_cmpint(s->ops[0].src_y - s->ops[0].dst.y, ==, 13);
    g_assert_cmpint(copied, ==, 200L * (180 - 13));
    g_free(s);
}

static void test_scroll_down(void)
{
    struct scene *s = g_new0(struct scene, 1);
    fill(s->before, 2);
    struct damage_rect r = {0, 0, W, H};
    memcpy(s->after, s->before, sizeof(s->after));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            s->after[y * W + x] = y >= 7 ? s->before[(y - 7) * W + x] : pattern(x, y, 77);
    g_assert_cmpint(run(s, &r, 1, NULL, 0), ==, (long)W * (H - 7));
    g_free(s);
}

static void test_scroll_with_changed_line(void)
{
    struct scene *s = g_new0(struct scene, 1);
    fill(s->before, 3);
    struct damage_rect r = {0, 0, W, H};
    scroll_region(s, r, 16, 5);
    for (int x = 0; x < W; x++)
        s->after[100 * W + x] ^= 0x00ff00; /* a cursor line redrawn */
    long copied = run(s, &r, 1, NULL, 0);
    g_assert_cmpint(s->n_ops, ==, 2); /* above and below the changed line */
    g_assert_cmpint(copied, ==, (long)W * (H - 16 - 1));
    g_free(s);
}

static void test_no_shift_and_noise(void)
{
    struct scene *s = g_new0(struct scene, 1);
    fill(s->before, 4);
    struct damage_rect r = {0, 0, W, H};
    memcpy(s->after, s->before, sizeof(s->after)); /* damaged, unchanged */
    g_assert_cmpint(run(s, &r, 1, NULL, 0), ==, 0);
    fill(s->after, 5); /* every pixel new */
    g_assert_cmpint(run(s, &r, 1, NULL, 0), ==, 0);
    g_free(s);
}

static void test_nothing_before_first_full_commit(void)
{
    struct copy_detect *cd = copy_detect_create(W, H);
    uint32_t *px = g_new0(uint32_t, W * H);
    struct damage_rect part = {0, 0, W, H / 2}, all = {0, 0, W, H};
    copy_detect_commit(cd, &part, 1, (uint8_t *)px);
    struct copy_op ops[4];
    struct copy_hint hint = {{0, 0, 50, 50}, {10, 10, 50, 50}};
    g_assert_cmpint(copy_detect_find(cd, &all, 1, (uint8_t *)px, &hint, 1, ops, 4), ==, 0);
    copy_detect_reset(cd, W, H);
    g_assert_cmpint(copy_detect_find(cd, &all, 1, (uint8_t *)px, &hint, 1, ops, 4), ==, 0);
    g_free(px);
    copy_detect_destroy(cd);
}

/* Draws window @win (its content from picture @seed) at (x, y) over @bg. */
static void window_at(uint32_t *dst, const uint32_t *bg, int x, int y, int w, int h)
{
    memcpy(dst, bg, sizeof(uint32_t) * W * H);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            if (x + i >= 0 && x + i < W && y + j >= 0 && y + j < H)
                dst[(y + j) * W + x + i] = pattern(i, j, 1000) | 0x1000000;
}

static void test_window_move(void)
{
    struct scene *s = g_new0(struct scene, 1);
    uint32_t *bg = g_new(uint32_t, W * H);
    fill(bg, 6);
    window_at(s->before, bg, 30, 40, 100, 80);
    window_at(s->after, bg, 52, 61, 100, 80);
    struct damage_rect r[2] = {{30, 40, 122, 21}, {30, 61, 122, 80}};
    struct copy_hint hint = {{30, 40, 100, 80}, {52, 61, 100, 80}};
    g_assert_cmpint(run(s, r, 2, &hint, 1), ==, 100L * 80);
    g_assert_cmpint(s->ops[0].src_x, ==, 30);
    g_assert_cmpint(s->ops[0].src_y, ==, 40);
    /* Without the hint nothing is copied (no vertical-only scroll here). */
    g_assert_cmpint(run(s, r, 2, NULL, 0), ==, 0);
    g_free(bg);
    g_free(s);
}

static void test_window_move_under_another(void)
{
    struct scene *s = g_new0(struct scene, 1);
    uint32_t *bg = g_new(uint32_t, W * H);
    fill(bg, 7);
    window_at(s->before, bg, 30, 40, 100, 80);
    window_at(s->after, bg, 60, 50, 100, 80);
    /* Another window on top covers rows 70..89 of the screen. */
    for (int y = 70; y < 90; y++)
        for (int x = 0; x < W; x++)
            s->before[y * W + x] = s->after[y * W + x] = 0xabcdef;
    struct damage_rect r = {30, 40, 130, 90};
    struct copy_hint hint = {{30, 40, 100, 80}, {60, 50, 100, 80}};
    long copied = run(s, &r, 1, &hint, 1);
    g_assert_cmpint(copied, >, 0);
    g_assert_cmpint(copied, <, 100L * 80);
    g_free(bg);
    g_free(s);
}

static void test_window_partly_off_screen(void)
{
    struct scene *s = g_new0(struct scene, 1);
    uint32_t *bg = g_new(uint32_t, W * H);
    fill(bg, 8);
    window_at(s->before, bg, 250, 180, 100, 80); /* already partly off */
    window_at(s->after, bg, 270, 200, 100, 80);
    struct damage_rect r = {250, 180, 70, 60};
    struct copy_hint hint = {{250, 180, 100, 80}, {270, 200, 100, 80}};
    long copied = run(s, &r, 1, &hint, 1);
    g_assert_cmpint(copied, ==, 50L * 40); /* the part visible both times */
    g_free(bg);
    g_free(s);
}

static void test_window_move_with_content_change(void)
{
    struct scene *s = g_new0(struct scene, 1);
    uint32_t *bg = g_new(uint32_t, W * H);
    fill(bg, 9);
    window_at(s->before, bg, 10, 10, 120, 100);
    window_at(s->after, bg, 40, 30, 120, 100);
    for (int x = 40; x < 160; x++) /* the window's title bar changed too */
        for (int y = 30; y < 36; y++)
            s->after[y * W + x] = 0x123456;
    struct damage_rect r = {10, 10, 150, 120};
    struct copy_hint hint = {{10, 10, 120, 100}, {40, 30, 120, 100}};
    long copied = run(s, &r, 1, &hint, 1);
    g_assert_cmpint(copied, ==, 120L * 94);
    g_free(bg);
    g_free(s);
}

static void test_random_scenes_replay_exactly(void)
{
    /* Random windows, moves, scrolls and noise: whatever is proposed must
     * replay exactly (run() asserts it). */
    GRand *rand = g_rand_new_with_seed(42);
    struct scene *s = g_new0(struct scene, 1);
    uint32_t *bg = g_new(uint32_t, W * H);
    long copied = 0;
    for (int i = 0; i < 200; i++) {
        fill(bg, g_rand_int_range(rand, 0, 5));
        int w = g_rand_int_range(rand, 20, 200), h = g_rand_int_range(rand, 20, 200);
        int x0 = g_rand_int_range(rand, -50, W), y0 = g_rand_int_range(rand, -50, H);
        int x1 = x0 + g_rand_int_range(rand, -40, 40), y1 = y0 + g_rand_int_range(rand, -40, 40);
        window_at(s->before, bg, x0, y0, w, h);
        window_at(s->after, bg, x1, y1, w, h);
        if (g_rand_boolean(rand)) /* some noise on top */
            for (int k = 0; k < 50; k++)
                s->after[g_rand_int_range(rand, 0, W * H)] ^= 0x010101;
        struct damage_rect r = {0, 0, W, H};
        struct copy_hint hint = {{x0, y0, w, h}, {x1, y1, w, h}};
        copied += run(s, &r, 1, &hint, g_rand_boolean(rand) ? 1 : 0);
    }
    g_assert_cmpint(copied, >, 0); /* the scenes did exercise copies */
    g_free(bg);
    g_free(s);
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/copy-detect/scroll-exact", test_exact_scroll);
    g_test_add_func("/copy-detect/scroll-down", test_scroll_down);
    g_test_add_func("/copy-detect/scroll-changed-line", test_scroll_with_changed_line);
    g_test_add_func("/copy-detect/no-shift-and-noise", test_no_shift_and_noise);
    g_test_add_func("/copy-detect/needs-full-commit", test_nothing_before_first_full_commit);
    g_test_add_func("/copy-detect/window-move", test_window_move);
    g_test_add_func("/copy-detect/window-under-another", test_window_move_under_another);
    g_test_add_func("/copy-detect/window-off-screen", test_window_partly_off_screen);
    g_test_add_func("/copy-detect/window-content-change", test_window_move_with_content_change);
    g_test_add_func("/copy-detect/random-replay", test_random_scenes_replay_exactly);
    return g_test_run();
}
