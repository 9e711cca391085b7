/* The SpiceCoreInterface on GLib: timers fire once, re-arm, cancel; watches
 * report readiness and follow mask updates. */
#include <glib.h>
#include <stdbool.h>
#include <unistd.h>

#include "agent/spice-core.h"

static int fired;
static GMainLoop *loop;

static void on_timer(void *opaque)
{
    fired++;
    if (opaque)
        g_main_loop_quit(loop);
}

static gboolean quit(gpointer data)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void run_for(int ms)
{
    g_timeout_add(ms, quit, NULL);
    g_main_loop_run(loop);
}

static void test_timers(void)
{
    SpiceCoreInterface *core = spice_core_get(NULL);
    fired = 0;
    SpiceTimer *t = core->timer_add(on_timer, NULL);
    core->timer_start(t, 10);
    run_for(80);
    g_assert_cmpint(fired, ==, 1); /* one shot */

    core->timer_start(t, 10);
    core->timer_start(t, 20); /* restart replaces */
    run_for(80);
    g_assert_cmpint(fired, ==, 2);

    core->timer_start(t, 20);
    core->timer_cancel(t);
    run_for(60);
    g_assert_cmpint(fired, ==, 2);

    core->timer_start(t, 10);
    core->timer_remove(t); /* removing an armed timer */
    run_for(40);
    g_assert_cmpint(fired, ==, 2);
}

static gpointer start_from_thread(gpointer data)
{
    SpiceCoreInterface *core = spice_core_get(NULL);
    core->timer_start(data, 5);
    return NULL;
}

static void test_timer_from_other_thread(void)
{
    SpiceCoreInterface *core = spice_core_get(NULL);
    fired = 0;
    SpiceTimer *t = core->timer_add(on_timer, GINT_TO_POINTER(1));
    g_thread_join(g_thread_new("starter", start_from_thread, t));
    g_timeout_add(2000, quit, NULL);
    g_main_loop_run(loop);
    g_assert_cmpint(fired, ==, 1);
    core->timer_remove(t);
}

static int watch_events;
static int last_event;

static void on_watch(int fd, int event, void *opaque)
{
    watch_events++;
    last_event = event;
    if (event == SPICE_WATCH_EVENT_READ) {
        char c;
        g_assert_cmpint(read(fd, &c, 1), ==, 1);
    }
}

static void test_watches(void)
{
    SpiceCoreInterface *core = spice_core_get(NULL);
    int p[2];
    g_assert_cmpint(pipe(p), ==, 0);
    watch_events = 0;
    SpiceWatch *w = core->watch_add(p[0], SPICE_WATCH_EVENT_READ, on_watch, NULL);
    run_for(30);
    g_assert_cmpint(watch_events, ==, 0); /* nothing to read */
    g_assert_cmpint(write(p[1], "x", 1), ==, 1);
    run_for(30);
    g_assert_cmpint(watch_events, ==, 1);
    g_assert_cmpint(last_event, ==, SPICE_WATCH_EVENT_READ);

    core->watch_update_mask(w, 0); /* not interested any more */
    g_assert_cmpint(write(p[1], "y", 1), ==, 1);
    run_for(30);
    g_assert_cmpint(watch_events, ==, 1);
    core->watch_update_mask(w, SPICE_WATCH_EVENT_READ);
    run_for(30);
    g_assert_cmpint(watch_events, ==, 2);
    core->watch_remove(w);

    /* A write watch on a writable pipe fires at once. */
    watch_events = 0;
    w = core->watch_add(p[1], SPICE_WATCH_EVENT_WRITE, on_watch, NULL);
    run_for(20);
    g_assert_cmpint(watch_events, >, 0);
    g_assert_cmpint(last_event, ==, SPICE_WATCH_EVENT_WRITE);
    core->watch_remove(w);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    loop = g_main_loop_new(NULL, FALSE);
    g_test_add_func("/spice-core/timers", test_timers);
    g_test_add_func("/spice-core/timer-thread", test_timer_from_other_thread);
    g_test_add_func("/spice-core/watches", test_watches);
    int rc = g_test_run();
    g_main_loop_unref(loop);
    return rc;
}
