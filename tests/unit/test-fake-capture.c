#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "display/capture.h"
#include "display/fake-pattern.h"

static int pending;

static void on_pending(void *data)
{
    pending++;
}

static const struct capture_listener listener = {.damage_pending = on_pending};

static void test_static_frames_match_pattern(void)
{
    struct capture_config cc = {.backend = "fake", .fake_script = "static", .fake_width = 64,
                                .fake_height = 48};
    char *error = NULL;
    struct capture *cap = capture_create(&cc, &listener, NULL, &error);
    g_assert_no_errno(cap ? 0 : -1);
    int w, h;
    capture_get_size(cap, &w, &h);
    g_assert_cmpint(w, ==, 64);
    g_assert_cmpint(h, ==, 48);

    uint8_t *want = g_malloc(64 * 48 * 4);
    fake_pattern_render(FAKE_STATIC, 0, 64, 48, want, 64 * 4);
    struct damage_rect rects[2] = {{0, 0, 64, 10}, {5, 20, 7, 3}};
    struct frame *f = capture_grab(cap, rects, 2);
    g_assert_nonnull(f);
    g_assert_cmpuint(f->size, ==, (64 * 10 + 7 * 3) * 4);
    g_assert_cmpmem(f->data, 64 * 10 * 4, want, 64 * 10 * 4);
    for (int y = 0; y < 3; y++)
        g_assert_cmpmem(f->data + (64 * 10 + y * 7) * 4, 7 * 4, want + ((20 + y) * 64 + 5) * 4,
                        7 * 4);
    frame_unref(f);

    /* Rectangles outside the screen are refused. */
    struct damage_rect bad = {60, 0, 10, 10};
    g_assert_null(capture_grab(cap, &bad, 1));
    g_free(want);
    capture_destroy(cap);
}

static gboolean quit_later(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void test_full_script_damages_everything(void)
{
    struct capture_config cc = {.backend = "fake", .fake_script = "full", .fake_width = 32,
                                .fake_height = 32, .fake_fps = 100};
    char *error = NULL;
    struct capture *cap = capture_create(&cc, &listener, NULL, &error);
    g_assert_nonnull(cap);
    struct damage *d = damage_create(32, 32);
    damage_clear(d);
    pending = 0;
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);

    /* Stopped: no damage reported. */
    g_timeout_add(60, quit_later, loop);
    g_main_loop_run(loop);
    g_assert_cmpint(pending, ==, 0);

    capture_start(cap);
    g_timeout_add(60, quit_later, loop);
    g_main_loop_run(loop);
    g_assert_cmpint(pending, ==, 1); /* once until collected */
    capture_collect_damage(cap, d);
    g_assert_cmpint(damage_area(d), ==, 32 * 32);
    capture_stop(cap);
    g_main_loop_unref(loop);
    damage_destroy(d);
    capture_destroy(cap);
}

static void test_unknown_backend_and_script(void)
{
    char *error = NULL;
    struct capture_config cc = {.backend = "vnc"};
    g_assert_null(capture_create(&cc, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "vnc"));
    g_free(error);
    error = NULL;
    struct capture_config cc2 = {.backend = "fake", .fake_script = "dance"};
    g_assert_null(capture_create(&cc2, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "dance"));
    g_free(error);
}

static void test_x11_without_display(void)
{
    char *error = NULL;
    struct capture_config cc = {.backend = "x11", .display = ":999"};
    g_assert_null(capture_create(&cc, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, ":999"));
    g_free(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fake-capture/static", test_static_frames_match_pattern);
    g_test_add_func("/fake-capture/full", test_full_script_damages_everything);
    g_test_add_func("/capture/unknown", test_unknown_backend_and_script);
    g_test_add_func("/capture/x11-no-display", test_x11_without_display);
    return g_test_run();
}
