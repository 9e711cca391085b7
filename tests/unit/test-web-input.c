/* The page's input messages: parsing (malformed ones refused), keys through
 * the scancode path into a fake injector, pointer, release-all, the rate
 * limit, view-only, and lock-key LED sync both ways. */
#include <errno.h>
#include <glib.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "agent/web/web-input.h"
#include "agent/web/web-proto.h"
#include "input/injector-fake.h"
#include "input/injector.h"

struct fixture {
    struct injector *inj;
    struct web_input *wi;
    GByteArray *sent; /* agent-to-page messages, concatenated */
    int n_sent;
    int64_t now;
};

static struct injector *get_injector(void *data)
{
    struct fixture *f = data;
    return f->inj;
}

static void send_msg(GBytes *msg, void *data)
{
    struct fixture *f = data;
    size_t len;
    const uint8_t *p = g_bytes_get_data(msg, &len);
    g_byte_array_append(f->sent, p, (guint)len);
    f->n_sent++;
}

static void on_leds(unsigned leds, void *data)
{
    struct fixture *f = data;
    web_input_desktop_leds(f->wi, leds);
}

static const struct injector_listener listener = {.leds_changed = on_leds};

static void setup(struct fixture *f, bool view_only, unsigned rate)
{
    memset(f, 0, sizeof(*f));
    struct injector_config c = {.backend = "fake", .width = 1024, .height = 768};
    char *error = NULL;
    f->inj = injector_create(&c, &listener, f, &error);
    g_assert_null(error);
    f->sent = g_byte_array_new();
    struct web_input_config wc = {.view_only = view_only, .max_per_second = rate};
    struct web_input_sink sink = {.injector = get_injector, .send = send_msg, .data = f};
    f->wi = web_input_create(&wc, &sink);
    f->now = 1000000;
}

static void teardown(struct fixture *f)
{
    web_input_destroy(f->wi);
    injector_destroy(f->inj);
    g_byte_array_unref(f->sent);
}

/* Builds, parses and handles one message; returns the parse result. */
static int handle(struct fixture *f, const uint8_t *bytes, size_t len)
{
    struct web_page_msg m;
    int rc = web_proto_parse(bytes, len, &m, NULL);
    if (rc == 0)
        g_assert_true(web_input_handle(f->wi, &m, f->now));
    return rc;
}

static void key(struct fixture *f, const char *code, bool down)
{
    uint8_t msg[64] = {0x82, down, (uint8_t)strlen(code)};
    memcpy(msg + 3, code, strlen(code));
    g_assert_cmpint(handle(f, msg, 3 + strlen(code)), ==, 0);
}

static void pointer(struct fixture *f, int x, int y, unsigned buttons, int wx, int wy)
{
    uint8_t msg[8] = {0x83, x & 0xff, x >> 8, y & 0xff, y >> 8, buttons, (uint8_t)wx, (uint8_t)wy};
    g_assert_cmpint(handle(f, msg, sizeof(msg)), ==, 0);
}

static const struct injector_fake_event *ev(struct fixture *f, unsigned i)
{
    const struct injector_fake_event *e = injector_fake_get(f->inj, i);
    g_assert_nonnull(e);
    return e;
}

static void assert_key(struct fixture *f, unsigned i, unsigned code, bool pressed)
{
    g_assert_cmpint(ev(f, i)->type, ==, INJECTOR_FAKE_KEY);
    g_assert_cmpuint(ev(f, i)->code, ==, code);
    g_assert_cmpint(ev(f, i)->pressed, ==, pressed);
}

/* What the handlers rely on from web-proto: malformed input messages never
 * reach them. */
static void test_parse_malformed(void)
{
    struct web_page_msg m;
    static const uint8_t empty_code[] = {0x82, 1, 0};
    g_assert_cmpint(web_proto_parse(empty_code, sizeof(empty_code), &m, NULL), ==, -EPROTO);
    uint8_t long_code[3 + 33] = {0x82, 1, 33};
    memset(long_code + 3, 'A', 33);
    g_assert_cmpint(web_proto_parse(long_code, sizeof(long_code), &m, NULL), ==, -EPROTO);
    static const uint8_t short_key[] = {0x82, 1, 4, 'K', 'e', 'y'};
    g_assert_cmpint(web_proto_parse(short_key, sizeof(short_key), &m, NULL), ==, -EPROTO);
    static const uint8_t long_key[] = {0x82, 1, 4, 'K', 'e', 'y', 'A', 'B'};
    g_assert_cmpint(web_proto_parse(long_key, sizeof(long_key), &m, NULL), ==, -EPROTO);
    static const uint8_t bad_down[] = {0x82, 2, 4, 'K', 'e', 'y', 'A'};
    g_assert_cmpint(web_proto_parse(bad_down, sizeof(bad_down), &m, NULL), ==, -EPROTO);
    static const uint8_t nul_key[] = {0x82, 1, 4, 'K', 'e', 0, 'A'};
    g_assert_cmpint(web_proto_parse(nul_key, sizeof(nul_key), &m, NULL), ==, -EPROTO);
    static const uint8_t ptr[9] = {0x83};
    g_assert_cmpint(web_proto_parse(ptr, 7, &m, NULL), ==, -EPROTO);
    g_assert_cmpint(web_proto_parse(ptr, 9, &m, NULL), ==, -EPROTO);
    static const uint8_t leds[3] = {0x88};
    g_assert_cmpint(web_proto_parse(leds, 1, &m, NULL), ==, -EPROTO);
    g_assert_cmpint(web_proto_parse(leds, 3, &m, NULL), ==, -EPROTO);
    static const uint8_t rel[2] = {0x8a};
    g_assert_cmpint(web_proto_parse(rel, 2, &m, NULL), ==, -EPROTO);
    static const uint8_t clip[] = {0x84, 3, 'x'};
    g_assert_cmpint(web_proto_parse(clip, 1, &m, NULL), ==, -EPROTO);
    g_assert_cmpint(web_proto_parse(clip, sizeof(clip), &m, NULL), ==, -EPROTO);
    static const uint8_t ok_key[] = {0x82, 0, 8, 'A', 'l', 't', 'R', 'i', 'g', 'h', 't'};
    g_assert_cmpint(web_proto_parse(ok_key, sizeof(ok_key), &m, NULL), ==, 0);
    g_assert_cmpstr(m.u.key.code, ==, "AltRight");
}

static void test_keys(void)
{
    struct fixture f;
    setup(&f, false, 0);
    key(&f, "KeyA", true);
    key(&f, "KeyA", true); /* autorepeat */
    key(&f, "KeyA", false);
    key(&f, "AltRight", true); /* extended: 0xe0 0x38 */
    key(&f, "AltRight", false);
    key(&f, "Pause", true);
    key(&f, "Pause", false);
    key(&f, "KeyB", false); /* never pressed here: not passed on */
    key(&f, "Fn", true);    /* no PC scancode: ignored, counted */
    key(&f, "NoSuchKey", true);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 7);
    assert_key(&f, 0, KEY_A, true);
    assert_key(&f, 1, KEY_A, true);
    assert_key(&f, 2, KEY_A, false);
    assert_key(&f, 3, KEY_RIGHTALT, true);
    assert_key(&f, 4, KEY_RIGHTALT, false);
    assert_key(&f, 5, KEY_PAUSE, true);
    assert_key(&f, 6, KEY_PAUSE, false);
    g_assert_cmpuint(web_input_unknown_keys(f.wi), ==, 2);
    teardown(&f);
}

static void test_pointer(void)
{
    struct fixture f;
    setup(&f, false, 0);
    pointer(&f, 100, 200, 0, 0, 0);
    pointer(&f, 100, 200, 1, 0, 0);     /* left down */
    pointer(&f, 101, 201, 1 | 4, 0, 0); /* right down too */
    pointer(&f, 101, 201, 0, 0, 0);     /* both up */
    pointer(&f, 5000, 5000, 0, -1, 2);  /* clamped to the screen; wheel */
    pointer(&f, 0, 0, 0, 0, 100);       /* a hostile wheel: at most 10 notches */
    unsigned n = injector_fake_count(f.inj);
    GArray *buttons = g_array_new(FALSE, FALSE, sizeof(unsigned));
    int wheel_dy = 0, wheel_dx = 0, last_x = -1, last_y = -1;
    for (unsigned i = 0; i < n; i++) {
        const struct injector_fake_event *e = ev(&f, i);
        if (e->type == INJECTOR_FAKE_BUTTON) {
            unsigned v = e->code * 2 + e->pressed;
            g_array_append_val(buttons, v);
        } else if (e->type == INJECTOR_FAKE_WHEEL) {
            wheel_dx += e->x;
            wheel_dy += e->y;
        } else if (e->type == INJECTOR_FAKE_MOVE_TO) {
            last_x = e->x;
            last_y = e->y;
        }
    }
    g_assert_cmpuint(buttons->len, ==, 4);
    g_assert_cmpuint(g_array_index(buttons, unsigned, 0), ==, INJECTOR_BUTTON_LEFT * 2 + 1);
    g_assert_cmpuint(g_array_index(buttons, unsigned, 1), ==, INJECTOR_BUTTON_RIGHT * 2 + 1);
    g_assert_cmpuint(g_array_index(buttons, unsigned, 2), ==, INJECTOR_BUTTON_LEFT * 2);
    g_assert_cmpuint(g_array_index(buttons, unsigned, 3), ==, INJECTOR_BUTTON_RIGHT * 2);
    g_assert_cmpint(wheel_dy, ==, 2 + 10);
    g_assert_cmpint(wheel_dx, ==, -1);
    g_assert_cmpint(last_x, ==, 0);
    g_assert_cmpint(last_y, ==, 0);
    int x, y;
    pointer(&f, 5000, 5000, 0, 0, 0);
    injector_get_position(f.inj, &x, &y);
    g_assert_cmpint(x, ==, 1023);
    g_assert_cmpint(y, ==, 767);
    g_array_free(buttons, TRUE);
    teardown(&f);
}

static void test_release_all(void)
{
    struct fixture f;
    setup(&f, false, 0);
    key(&f, "ShiftLeft", true);
    key(&f, "KeyQ", true);
    pointer(&f, 10, 10, 2, 0, 0);     /* middle */
    injector_key(f.inj, KEY_Z, true); /* held by someone else (a SPICE client) */
    injector_fake_clear(f.inj);
    static const uint8_t rel[] = {0x8a};
    g_assert_cmpint(handle(&f, rel, 1), ==, 0);
    g_assert_false(injector_key_is_down(f.inj, KEY_LEFTSHIFT));
    g_assert_false(injector_key_is_down(f.inj, KEY_Q));
    g_assert_true(injector_key_is_down(f.inj, KEY_Z)); /* not the page's */
    g_assert_cmpuint(injector_get_buttons(f.inj), ==, 0);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 3);
    /* and when the page goes away */
    key(&f, "ControlLeft", true);
    web_input_page_gone(f.wi);
    g_assert_false(injector_key_is_down(f.inj, KEY_LEFTCTRL));
    teardown(&f);
}

static void test_view_only(void)
{
    struct fixture f;
    setup(&f, true, 0);
    key(&f, "KeyA", true);
    pointer(&f, 10, 10, 1, 0, 1);
    static const uint8_t leds[] = {0x88, 0x04};
    g_assert_cmpint(handle(&f, leds, 2), ==, 0);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 0);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 0);
    teardown(&f);
}

/* 1000 a second, a bucket one second deep: a burst of 1000 passes, the
 * rest of the same instant is dropped and counted; refills with time. */
static void test_rate_limit(void)
{
    struct fixture f;
    setup(&f, false, 1000);
    for (int i = 0; i < 1500; i++)
        pointer(&f, i % 1000, 0, 0, 0, 0);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 1000);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 500);
    injector_fake_clear(f.inj);
    /* 100 ms later: 100 more */
    f.now += 100000;
    for (int i = 0; i < 200; i++)
        pointer(&f, i, 1, 0, 0, 0);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 100);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 600);
    injector_fake_clear(f.inj);
    /* a steady 1000/s for 2 s passes whole */
    f.now += 1000000;
    for (int i = 0; i < 2000; i++) {
        f.now += 1000;
        pointer(&f, i % 1000, 2, 0, 0, 0);
    }
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 2000);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 600);
    teardown(&f);
}

/* Beyond the limit, releases of what the page holds still pass: a flood
 * never leaves a key or a button stuck. New presses are dropped. */
static void test_rate_limit_releases_pass(void)
{
    struct fixture f;
    setup(&f, false, 10);
    key(&f, "KeyA", true);
    pointer(&f, 1, 1, 1, 0, 0);
    for (int i = 0; i < 8; i++)
        pointer(&f, 1, 1, 1, 0, 0);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 0);
    key(&f, "KeyB", true); /* over the limit: dropped */
    pointer(&f, 2, 2, 1 | 4, 0, 0);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 2);
    g_assert_false(injector_key_is_down(f.inj, KEY_B));
    key(&f, "KeyA", false);     /* release: passes */
    pointer(&f, 3, 3, 0, 0, 0); /* button release: passes */
    key(&f, "KeyC", false);     /* not held: counts as dropped */
    g_assert_false(injector_key_is_down(f.inj, KEY_A));
    g_assert_cmpuint(injector_get_buttons(f.inj), ==, 0);
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 3);
    key(&f, "KeyD", true);
    static const uint8_t rel[] = {0x8a};
    g_assert_cmpint(handle(&f, rel, 1), ==, 0); /* release-all always passes */
    g_assert_cmpuint(web_input_dropped(f.wi), ==, 4);
    teardown(&f);
}

static void test_leds(void)
{
    struct fixture f;
    setup(&f, false, 0);
    /* desktop: num lock on; page: caps lock on */
    injector_fake_set_leds(f.inj, INJECTOR_LED_NUM_LOCK);
    g_assert_cmpint(f.n_sent, ==, 0); /* no page yet: nothing sent */
    web_input_page_ready(f.wi);
    g_assert_cmpint(f.n_sent, ==, 1);
    g_assert_cmpuint(f.sent->data[0], ==, 0x0b);
    g_assert_cmpuint(f.sent->data[1], ==, INJECTOR_LED_NUM_LOCK);
    static const uint8_t page_leds[] = {0x88, INJECTOR_LED_CAPS_LOCK};
    g_assert_cmpint(handle(&f, page_leds, 2), ==, 0);
    /* caps tapped on, num tapped off, scroll untouched */
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 4);
    assert_key(&f, 0, KEY_CAPSLOCK, true);
    assert_key(&f, 1, KEY_CAPSLOCK, false);
    assert_key(&f, 2, KEY_NUMLOCK, true);
    assert_key(&f, 3, KEY_NUMLOCK, false);
    /* the fake desktop follows its lock keys: now in step with the page,
     * and each change was told to the page */
    g_assert_cmpuint(injector_get_leds(f.inj), ==, INJECTOR_LED_CAPS_LOCK);
    g_assert_cmpint(f.n_sent, ==, 3);
    g_assert_cmpuint(f.sent->data[5], ==, INJECTOR_LED_CAPS_LOCK);
    /* in step already: nothing */
    injector_fake_clear(f.inj);
    g_assert_cmpint(handle(&f, page_leds, 2), ==, 0);
    g_assert_cmpuint(injector_fake_count(f.inj), ==, 0);
    /* a change on the desktop reaches the page */
    injector_fake_set_leds(f.inj, INJECTOR_LED_SCROLL_LOCK);
    g_assert_cmpint(f.n_sent, ==, 4);
    g_assert_cmpuint(f.sent->data[6], ==, 0x0b);
    g_assert_cmpuint(f.sent->data[7], ==, INJECTOR_LED_SCROLL_LOCK);
    web_input_page_gone(f.wi);
    injector_fake_set_leds(f.inj, 0);
    g_assert_cmpint(f.n_sent, ==, 4); /* no page: nothing sent */
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/web-input/parse-malformed", test_parse_malformed);
    g_test_add_func("/web-input/keys", test_keys);
    g_test_add_func("/web-input/pointer", test_pointer);
    g_test_add_func("/web-input/release-all", test_release_all);
    g_test_add_func("/web-input/view-only", test_view_only);
    g_test_add_func("/web-input/rate-limit", test_rate_limit);
    g_test_add_func("/web-input/rate-limit-releases-pass", test_rate_limit_releases_pass);
    g_test_add_func("/web-input/leds", test_leds);
    return g_test_run();
}
