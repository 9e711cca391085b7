/* Input latency: from the keyboard callback's work (the scancode byte the
 * inputs channel hands over, through keymap_decoder_feed() and
 * injector_key(), exactly what agent/spice-input.c does) to the injected
 * event.
 *
 *   input-latency fake [N]    until the fake backend has recorded the event
 *   input-latency xtest [N]   until an X client on $DISPLAY receives the
 *                             KeyPress/KeyRelease; plus the same-run reference:
 *                             raw XTEST requests straight from xcb
 *
 * Prints one line per measurement: "NAME n=N median_us=M p95_us=P min_us=A max_us=B". */
#include <glib.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include "input/injector-fake.h"
#include "input/injector.h"
#include "input/keymap.h"

#define SCANCODE_A  0x1e
#define RELEASE_BIT 0x80
#define X_KEYCODE_A (KEY_A + 8)

/* Nanoseconds, CLOCK_MONOTONIC (what g_get_monotonic_time() reads, finer). */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, int64_t *ns, int n)
{
    qsort(ns, n, sizeof(ns[0]), cmp_i64);
    printf("%s n=%d median_us=%.3f p95_us=%.3f min_us=%.3f max_us=%.3f\n", name, n, ns[n / 2] / 1e3,
           ns[(n * 95) / 100] / 1e3, ns[0] / 1e3, ns[n - 1] / 1e3);
    fflush(stdout);
}

/* The inputs channel callback's work for one byte. */
static void callback_work(struct keymap_decoder *d, struct injector *inj, uint8_t byte)
{
    struct keymap_event ev;
    if (keymap_decoder_feed(d, byte, &ev))
        injector_key(inj, ev.code, ev.pressed);
}

static int bench_fake(int n)
{
    struct injector_config c = {.backend = "fake", .width = 1920, .height = 1080};
    char *error = NULL;
    struct injector *inj = injector_create(&c, NULL, NULL, &error);
    if (!inj) {
        fprintf(stderr, "input-latency: %s\n", error);
        return 1;
    }
    struct keymap_decoder d = {0};
    int64_t *us = g_new(int64_t, n);
    for (int i = 0; i < n; i++) {
        uint8_t byte = SCANCODE_A | (i % 2 ? RELEASE_BIT : 0);
        unsigned before = injector_fake_count(inj);
        int64_t t0 = now_ns();
        callback_work(&d, inj, byte);
        us[i] = now_ns() - t0; /* the fake records synchronously */
        if (injector_fake_count(inj) != before + 1) {
            fprintf(stderr, "input-latency: the fake recorded nothing\n");
            return 1;
        }
        if (injector_fake_count(inj) > 1000)
            injector_fake_clear(inj);
    }
    report("fake", us, n);
    g_free(us);
    injector_destroy(inj);
    return 0;
}

struct observer {
    xcb_connection_t *conn;
};

/* A focused window on its own connection that receives the keys. */
static int observer_open(struct observer *o)
{
    o->conn = xcb_connect(NULL, NULL);
    if (xcb_connection_has_error(o->conn))
        return -1;
    xcb_screen_t *s = xcb_setup_roots_iterator(xcb_get_setup(o->conn)).data;
    xcb_window_t w = xcb_generate_id(o->conn);
    uint32_t values[] = {1, XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
                                XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_create_window(o->conn, XCB_COPY_FROM_PARENT, w, s->root, 0, 0, 200, 200, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, s->root_visual,
                      XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
    xcb_map_window(o->conn, w);
    xcb_flush(o->conn);
    xcb_generic_event_t *ev;
    while ((ev = xcb_wait_for_event(o->conn))) {
        bool mapped = (ev->response_type & 0x7f) == XCB_MAP_NOTIFY;
        free(ev);
        if (mapped)
            break;
    }
    xcb_set_input_focus(o->conn, XCB_INPUT_FOCUS_POINTER_ROOT, w, XCB_CURRENT_TIME);
    free(xcb_get_input_focus_reply(o->conn, xcb_get_input_focus(o->conn), NULL));
    return 0;
}

/* Waits for the next key event; returns its arrival time. */
static int64_t observer_wait_key(struct observer *o, bool press)
{
    xcb_generic_event_t *ev;
    while ((ev = xcb_wait_for_event(o->conn))) {
        uint8_t type = ev->response_type & 0x7f;
        free(ev);
        if (type == (press ? XCB_KEY_PRESS : XCB_KEY_RELEASE))
            return now_ns();
    }
    fprintf(stderr, "input-latency: X connection lost\n");
    exit(1);
}

static int bench_xtest(int n)
{
    struct observer o;
    if (observer_open(&o) < 0) {
        fprintf(stderr, "input-latency: cannot connect to X\n");
        return 1;
    }
    struct injector_config c = {.backend = "xtest", .width = 1920, .height = 1080};
    char *error = NULL;
    struct injector *inj = injector_create(&c, NULL, NULL, &error);
    if (!inj) {
        fprintf(stderr, "input-latency: %s\n", error);
        return 1;
    }
    struct keymap_decoder d = {0};
    int64_t *us = g_new(int64_t, n);
    int64_t *ref = g_new(int64_t, n);

    /* Interleaved, so both see the same machine load: a press and release
     * through our path, then a press and release as raw XTEST requests. */
    xcb_connection_t *raw = xcb_connect(NULL, NULL);
    for (int i = 0; i < n; i += 2) {
        for (int k = 0; k < 2 && i + k < n; k++) {
            bool press = k == 0;
            uint8_t byte = SCANCODE_A | (press ? 0 : RELEASE_BIT);
            int64_t t0 = now_ns();
            callback_work(&d, inj, byte);
            us[i + k] = observer_wait_key(&o, press) - t0;
        }
        for (int k = 0; k < 2 && i + k < n; k++) {
            bool press = k == 0;
            int64_t t0 = now_ns();
            xcb_test_fake_input(raw, press ? XCB_KEY_PRESS : XCB_KEY_RELEASE, X_KEYCODE_A,
                                XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
            xcb_flush(raw);
            ref[i + k] = observer_wait_key(&o, press) - t0;
        }
    }
    report("xtest", us, n);
    report("xtest-reference-raw-xcb", ref, n);
    g_free(us);
    g_free(ref);
    xcb_disconnect(raw);
    injector_destroy(inj);
    xcb_disconnect(o.conn);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: input-latency fake|xtest [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    if (n < 2)
        n = 2;
    if (!strcmp(argv[1], "fake"))
        return bench_fake(n);
    if (!strcmp(argv[1], "xtest"))
        return bench_xtest(n);
    return 2;
}
