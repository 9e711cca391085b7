/* The page's size to the desktop: clamped, repeated sizes skipped, bursts
 * folded into the newest within the interval. */
#include <glib.h>

#include "agent/web/web-resize.h"

struct rec {
    int n, w, h;
    bool ok;
    GMainLoop *loop;
};

static bool apply(int w, int h, void *data)
{
    struct rec *r = data;
    r->n++;
    r->w = w;
    r->h = h;
    if (r->loop)
        g_main_loop_quit(r->loop);
    return r->ok;
}

static void test_clamp_and_repeat(void)
{
    struct rec r = {.ok = true};
    struct web_resize *wr = web_resize_create(apply, &r);
    web_resize_request(wr, 0, 600); /* "keep" */
    g_assert_cmpint(r.n, ==, 0);
    web_resize_request(wr, 10, 50000);
    g_assert_cmpint(r.n, ==, 1);
    g_assert_cmpint(r.w, ==, WEB_RESIZE_MIN_WIDTH);
    g_assert_cmpint(r.h, ==, WEB_RESIZE_MAX_HEIGHT);
    web_resize_destroy(wr);
}

static gboolean quit_later(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void test_fold(void)
{
    struct rec r = {.ok = true, .loop = g_main_loop_new(NULL, FALSE)};
    struct web_resize *wr = web_resize_create(apply, &r);
    web_resize_request(wr, 1000, 700); /* at once */
    g_assert_cmpint(r.n, ==, 1);
    gint64 t0 = g_get_monotonic_time();
    web_resize_request(wr, 1001, 701); /* within the interval: folded */
    web_resize_request(wr, 1002, 702);
    web_resize_request(wr, 1003, 703);
    g_assert_cmpint(r.n, ==, 1);
    guint guard = g_timeout_add(5000, quit_later, r.loop);
    g_main_loop_run(r.loop);
    g_source_remove(guard);
    gint64 waited_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_cmpint(r.n, ==, 2);
    g_assert_cmpint(r.w, ==, 1003);
    g_assert_cmpint(r.h, ==, 703);
    g_assert_cmpint(waited_ms, <=, WEB_RESIZE_INTERVAL_MS + 1000);
    g_assert_cmpuint(web_resize_applied(wr), ==, 2);
    /* the same size again: skipped; after the page left: applied */
    g_usleep((WEB_RESIZE_INTERVAL_MS + 10) * 1000);
    web_resize_request(wr, 1003, 703);
    g_assert_cmpint(r.n, ==, 2);
    web_resize_page_gone(wr);
    web_resize_request(wr, 1003, 703);
    g_assert_cmpint(r.n, ==, 3);
    /* a pending request is dropped with the page */
    web_resize_request(wr, 800, 600);
    web_resize_page_gone(wr);
    guard = g_timeout_add(WEB_RESIZE_INTERVAL_MS * 2, quit_later, r.loop);
    g_main_loop_run(r.loop);
    g_assert_cmpint(r.n, ==, 3);
    web_resize_destroy(wr);
    g_main_loop_unref(r.loop);
}

/* A failed apply is not remembered: the same size is tried again. */
static void test_failure_retried(void)
{
    struct rec r = {.ok = false};
    struct web_resize *wr = web_resize_create(apply, &r);
    web_resize_request(wr, 1000, 700);
    g_assert_cmpint(r.n, ==, 1);
    g_usleep((WEB_RESIZE_INTERVAL_MS + 10) * 1000);
    web_resize_request(wr, 1000, 700);
    g_assert_cmpint(r.n, ==, 2);
    g_assert_cmpuint(web_resize_applied(wr), ==, 0);
    web_resize_destroy(wr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-resize/clamp-and-repeat", test_clamp_and_repeat);
    g_test_add_func("/web-resize/fold", test_fold);
    g_test_add_func("/web-resize/failure-retried", test_failure_retried);
    return g_test_run();
}
