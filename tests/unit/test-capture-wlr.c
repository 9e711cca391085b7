/* capture-wlr without a compositor: damage boxes to screen rectangles, and
 * the errors of a session that cannot give wlr capture. The real compositor
 * is in tests/integration/test_wayland_sway.py. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "display/capture.h"
#include "display/screencopy-damage.h"

static void assert_rect(const struct damage_rect *r, int x, int y, int w, int h)
{
    g_assert_cmpint(r->x, ==, x);
    g_assert_cmpint(r->y, ==, y);
    g_assert_cmpint(r->w, ==, w);
    g_assert_cmpint(r->h, ==, h);
}

static void test_damage_plain(void)
{
    struct damage_rect r[2];
    g_assert_cmpint(screencopy_damage_to_screen(10, 20, 30, 40, 1280, 720, false, r), ==, 1);
    assert_rect(&r[0], 10, 20, 30, 40);
    /* The whole output. */
    g_assert_cmpint(screencopy_damage_to_screen(0, 0, 1280, 720, 1280, 720, false, r), ==, 1);
    assert_rect(&r[0], 0, 0, 1280, 720);
}

static void test_damage_clipped(void)
{
    struct damage_rect r[2];
    /* Past the right and bottom edges. */
    g_assert_cmpint(screencopy_damage_to_screen(1200, 700, 200, 100, 1280, 720, false, r), ==, 1);
    assert_rect(&r[0], 1200, 700, 80, 20);
    /* Entirely outside, empty, or sizes that would overflow 32 bits. */
    g_assert_cmpint(screencopy_damage_to_screen(1280, 0, 10, 10, 1280, 720, false, r), ==, 0);
    g_assert_cmpint(screencopy_damage_to_screen(0, 720, 10, 10, 1280, 720, false, r), ==, 0);
    g_assert_cmpint(screencopy_damage_to_screen(5, 5, 0, 10, 1280, 720, false, r), ==, 0);
    g_assert_cmpint(screencopy_damage_to_screen(5, 5, 10, 0, 1280, 720, false, r), ==, 0);
    g_assert_cmpint(screencopy_damage_to_screen(UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
                                                1280, 720, false, r),
                    ==, 0);
    g_assert_cmpint(screencopy_damage_to_screen(4, 4, UINT32_MAX, UINT32_MAX, 1280, 720, false, r),
                    ==, 1);
    assert_rect(&r[0], 4, 4, 1276, 716);
    /* No output yet. */
    g_assert_cmpint(screencopy_damage_to_screen(0, 0, 10, 10, 0, 0, false, r), ==, 0);
}

static void test_damage_y_invert(void)
{
    struct damage_rect r[2];
    /* The box and its mirror image, whichever way the rows were counted. */
    g_assert_cmpint(screencopy_damage_to_screen(10, 0, 30, 100, 1280, 720, true, r), ==, 2);
    assert_rect(&r[0], 10, 0, 30, 100);
    assert_rect(&r[1], 10, 620, 30, 100);
    /* A box symmetric about the middle is its own mirror. */
    g_assert_cmpint(screencopy_damage_to_screen(0, 310, 50, 100, 1280, 720, true, r), ==, 1);
    assert_rect(&r[0], 0, 310, 50, 100);
    /* Clipped first, then mirrored. */
    g_assert_cmpint(screencopy_damage_to_screen(0, 700, 10, 100, 1280, 720, true, r), ==, 2);
    assert_rect(&r[0], 0, 700, 10, 20);
    assert_rect(&r[1], 0, 0, 10, 20);
}

static const struct capture_listener listener = {0};

static void test_no_wayland_display(void)
{
    g_unsetenv("WAYLAND_DISPLAY");
    struct capture_config cc = {.backend = "wlr"};
    char *error = NULL;
    g_assert_null(capture_create(&cc, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "WAYLAND_DISPLAY"));
    g_free(error);

    char *reason = NULL;
    g_assert_cmpint(capture_probe("wlr", NULL, &reason), ==, 0);
    g_assert_nonnull(strstr(reason, "WAYLAND_DISPLAY is not set"));
    g_free(reason);
}

static void test_nobody_listening(void)
{
    g_autofree char *dir = g_dir_make_tmp("wlr-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "wayland-none", NULL);
    char *reason = NULL;
    /* An absolute path needs no XDG_RUNTIME_DIR. */
    g_assert_cmpint(capture_probe("wlr", sock, &reason), <, 0);
    g_assert_nonnull(strstr(reason, "cannot connect"));
    g_free(reason);

    struct capture_config cc = {.backend = "wlr", .wayland_display = sock};
    char *error = NULL;
    g_assert_null(capture_create(&cc, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "cannot connect to Wayland display"));
    g_free(error);
    g_rmdir(dir);
}

static void test_backend_listed(void)
{
    g_assert_true(capture_backend_exists("wlr"));
    char *reason = NULL;
    /* Backends without a probe can always be tried. */
    g_assert_cmpint(capture_probe("fake", NULL, &reason), ==, 1);
    g_free(reason);
    g_assert_cmpint(capture_probe("vnc", NULL, &reason), <, 0);
    g_free(reason);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/capture-wlr/damage/plain", test_damage_plain);
    g_test_add_func("/capture-wlr/damage/clipped", test_damage_clipped);
    g_test_add_func("/capture-wlr/damage/y-invert", test_damage_y_invert);
    g_test_add_func("/capture-wlr/no-wayland-display", test_no_wayland_display);
    g_test_add_func("/capture-wlr/nobody-listening", test_nobody_listening);
    g_test_add_func("/capture-wlr/backend-listed", test_backend_listed);
    return g_test_run();
}
