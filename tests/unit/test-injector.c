/* The injector dispatcher through the fake backend: key and button state,
 * clamping, scaling, release-all, LEDs; and the backend choice. */
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/input-event-codes.h>
#include <string.h>
#include <unistd.h>

#include "input/injector-fake.h"
#include "input/injector.h"

static unsigned last_leds;
static int leds_calls;

static void on_leds(unsigned leds, void *data)
{
    last_leds = leds;
    leds_calls++;
}

static const struct injector_listener listener = {.leds_changed = on_leds};

static struct injector *make_fake(int w, int h)
{
    struct injector_config c = {.backend = "fake", .width = w, .height = h};
    char *error = NULL;
    struct injector *inj = injector_create(&c, &listener, NULL, &error);
    g_assert_null(error);
    g_assert_nonnull(inj);
    g_assert_cmpstr(injector_name(inj), ==, "fake");
    return inj;
}

static const struct injector_fake_event *ev(struct injector *inj, unsigned i)
{
    const struct injector_fake_event *e = injector_fake_get(inj, i);
    g_assert_nonnull(e);
    return e;
}

static void test_keys(void)
{
    struct injector *inj = make_fake(800, 600);
    injector_key(inj, KEY_A, true);
    injector_key(inj, KEY_A, true); /* autorepeat passes */
    injector_key(inj, KEY_A, false);
    injector_key(inj, KEY_B, false); /* never pressed: dropped */
    injector_key(inj, 0, true);      /* out of range: dropped */
    injector_key(inj, KEY_MAX + 1, true);
    g_assert_cmpuint(injector_fake_count(inj), ==, 3);
    g_assert_cmpuint(ev(inj, 0)->code, ==, KEY_A);
    g_assert_true(ev(inj, 0)->pressed);
    g_assert_true(ev(inj, 1)->pressed);
    g_assert_false(ev(inj, 2)->pressed);
    g_assert_false(injector_key_is_down(inj, KEY_A));
    injector_destroy(inj);
}

static void test_clamp(void)
{
    struct injector *inj = make_fake(800, 600);
    int x, y;
    injector_move_to(inj, 100, 200);
    injector_get_position(inj, &x, &y);
    g_assert_cmpint(x, ==, 100);
    g_assert_cmpint(y, ==, 200);
    injector_move_to(inj, -5, 99999);
    g_assert_cmpint(ev(inj, 1)->x, ==, 0);
    g_assert_cmpint(ev(inj, 1)->y, ==, 599);
    injector_move_to(inj, G_MAXINT, G_MININT);
    g_assert_cmpint(ev(inj, 2)->x, ==, 799);
    g_assert_cmpint(ev(inj, 2)->y, ==, 0);
    injector_move_to(inj, 700, 500);
    injector_set_screen_size(inj, 640, 480);
    injector_get_position(inj, &x, &y);
    g_assert_cmpint(x, ==, 639);
    g_assert_cmpint(y, ==, 479);
    injector_move_by(inj, -1000, 5);
    injector_get_position(inj, &x, &y);
    g_assert_cmpint(x, ==, 0);
    g_assert_cmpint(ev(inj, 4)->type, ==, INJECTOR_FAKE_MOVE_BY);
    g_assert_cmpint(ev(inj, 4)->x, ==, -1000); /* relative motion passes as is */
    injector_destroy(inj);
}

static void test_scale(void)
{
    g_assert_cmpint(injector_scale_to_abs(0, 1920), ==, 0);
    g_assert_cmpint(injector_scale_to_abs(1919, 1920), ==, 32767);
    g_assert_cmpint(injector_scale_to_abs(960, 1921), ==, 16384);
    g_assert_cmpint(injector_scale_to_abs(-3, 1920), ==, 0);
    g_assert_cmpint(injector_scale_to_abs(5000, 1920), ==, 32767);
    g_assert_cmpint(injector_scale_to_abs(0, 1), ==, 0);
    g_assert_cmpint(injector_scale_to_abs(7, 0), ==, 0);
    /* Every pixel maps to a distinct value that maps back to it. */
    for (int size = 2; size <= 8192; size *= 3) {
        int prev = -1;
        for (int p = 0; p < size; p++) {
            int a = injector_scale_to_abs(p, size);
            g_assert_cmpint(a, >, prev);
            long back = ((long)a * (size - 1) + 16383) / 32767;
            g_assert_cmpint(back, ==, p);
            prev = a;
        }
    }
}

static void test_buttons(void)
{
    struct injector *inj = make_fake(800, 600);
    unsigned L = 1u << INJECTOR_BUTTON_LEFT, R = 1u << INJECTOR_BUTTON_RIGHT,
             M = 1u << INJECTOR_BUTTON_MIDDLE;
    injector_set_buttons(inj, L | R);
    g_assert_cmpuint(injector_fake_count(inj), ==, 2);
    injector_set_buttons(inj, L | R); /* no change: nothing */
    g_assert_cmpuint(injector_fake_count(inj), ==, 2);
    injector_set_buttons(inj, R | M | (1u << 20)); /* unknown bit ignored */
    g_assert_cmpuint(injector_fake_count(inj), ==, 4);
    g_assert_cmpuint(ev(inj, 2)->code, ==, INJECTOR_BUTTON_LEFT);
    g_assert_false(ev(inj, 2)->pressed);
    g_assert_cmpuint(ev(inj, 3)->code, ==, INJECTOR_BUTTON_MIDDLE);
    g_assert_true(ev(inj, 3)->pressed);
    g_assert_cmpuint(injector_get_buttons(inj), ==, R | M);
    injector_button(inj, INJECTOR_N_BUTTONS, true);    /* out of range */
    injector_button(inj, INJECTOR_BUTTON_RIGHT, true); /* already down */
    g_assert_cmpuint(injector_fake_count(inj), ==, 4);
    injector_destroy(inj);
}

static void test_wheel(void)
{
    struct injector *inj = make_fake(800, 600);
    injector_wheel(inj, 0, 0);
    g_assert_cmpuint(injector_fake_count(inj), ==, 0);
    injector_wheel(inj, -1, 0);
    injector_wheel(inj, G_MAXINT, G_MININT);
    g_assert_cmpint(ev(inj, 0)->y, ==, -1);
    g_assert_cmpint(ev(inj, 1)->y, ==, 64);
    g_assert_cmpint(ev(inj, 1)->x, ==, -64);
    injector_destroy(inj);
}

static void test_release_all(void)
{
    struct injector *inj = make_fake(800, 600);
    injector_key(inj, KEY_LEFTSHIFT, true);
    injector_key(inj, KEY_A, true);
    injector_key(inj, KEY_RIGHTALT, true);
    injector_set_buttons(inj, 1u << INJECTOR_BUTTON_LEFT | 1u << INJECTOR_BUTTON_EXTRA);
    injector_fake_clear(inj);
    injector_release_all(inj);
    g_assert_cmpuint(injector_fake_count(inj), ==, 5);
    unsigned keys = 0, buttons = 0;
    for (unsigned i = 0; i < 5; i++) {
        g_assert_false(ev(inj, i)->pressed);
        if (ev(inj, i)->type == INJECTOR_FAKE_KEY)
            keys++;
        else
            buttons++;
    }
    g_assert_cmpuint(keys, ==, 3);
    g_assert_cmpuint(buttons, ==, 2);
    g_assert_false(injector_key_is_down(inj, KEY_A));
    g_assert_cmpuint(injector_get_buttons(inj), ==, 0);
    injector_fake_clear(inj);
    injector_release_all(inj); /* nothing held: nothing sent */
    g_assert_cmpuint(injector_fake_count(inj), ==, 0);
    injector_destroy(inj);
}

static void test_leds(void)
{
    struct injector *inj = make_fake(800, 600);
    leds_calls = 0;
    injector_key(inj, KEY_CAPSLOCK, true);
    injector_key(inj, KEY_CAPSLOCK, false);
    g_assert_cmpint(leds_calls, ==, 1);
    g_assert_cmpuint(last_leds, ==, INJECTOR_LED_CAPS_LOCK);
    g_assert_cmpuint(injector_get_leds(inj), ==, INJECTOR_LED_CAPS_LOCK);
    injector_fake_set_leds(inj, INJECTOR_LED_NUM_LOCK);
    g_assert_cmpint(leds_calls, ==, 2);
    g_assert_cmpuint(last_leds, ==, INJECTOR_LED_NUM_LOCK);
    injector_destroy(inj);
}

static void test_choice(void)
{
    char *error = NULL;
    struct injector_config c = {.backend = "nonsense", .width = 10, .height = 10};
    g_assert_null(injector_create(&c, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "nonsense"));
    g_clear_pointer(&error, g_free);

    /* No uinput there: uinput fails with a message naming the path. */
    c.backend = "uinput";
    c.uinput_path = "/nonexistent/uinput";
    g_assert_null(injector_create(&c, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "/nonexistent/uinput"));
    g_clear_pointer(&error, g_free);

    /* A file that is not uinput: the ioctls fail, cleanly. */
    char *path = NULL;
    int fd = g_file_open_tmp("thindesk-not-uinput-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    c.uinput_path = path;
    g_assert_null(injector_create(&c, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, path));
    g_clear_pointer(&error, g_free);
    /* auto: that file is writable, so uinput is tried, fails, and xtest
     * follows (here an X display that is not there). */
    c.backend = "auto";
    c.display = ":31999";
    g_test_expect_message("thindesk-input", G_LOG_LEVEL_WARNING, "*trying xtest*");
    g_assert_null(injector_create(&c, &listener, NULL, &error));
    g_test_assert_expected_messages();
    g_assert_nonnull(strstr(error, "XTEST"));
    g_clear_pointer(&error, g_free);
    g_unlink(path);
    g_free(path);

    /* auto without uinput picks xtest: here, an X display that is not there. */
    c.backend = "auto";
    c.uinput_path = "/nonexistent/uinput";
    c.display = ":31999";
    g_assert_null(injector_create(&c, &listener, NULL, &error));
    g_assert_nonnull(strstr(error, "XTEST"));
    g_clear_pointer(&error, g_free);
    injector_destroy(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/injector/keys", test_keys);
    g_test_add_func("/injector/clamp", test_clamp);
    g_test_add_func("/injector/scale", test_scale);
    g_test_add_func("/injector/buttons", test_buttons);
    g_test_add_func("/injector/wheel", test_wheel);
    g_test_add_func("/injector/release-all", test_release_all);
    g_test_add_func("/injector/leds", test_leds);
    g_test_add_func("/injector/choice", test_choice);
    return g_test_run();
}
