/* keystate: the keymap and modifier bookkeeping of the wlr injector, with
 * the XKB data of the machine (us, de and fr layouts). */
#include <glib.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>
#include <xkbcommon/xkbcommon-keysyms.h>

#include "input/injector.h"
#include "input/keystate.h"

static struct keystate *make(const char *layout)
{
    char *error = NULL;
    struct keystate *ks = keystate_create_from_names(layout, NULL, &error);
    if (!ks)
        g_error("%s", error);
    return ks;
}

static void tap(struct keystate *ks, unsigned code)
{
    keystate_key(ks, code, true);
    keystate_key(ks, code, false);
}

static void test_us_shift(void)
{
    struct keystate *ks = make("us");
    struct keystate_mods m;
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.depressed | m.latched | m.locked | m.group, ==, 0);
    g_assert_cmpuint(keystate_keysym(ks, KEY_A), ==, XKB_KEY_a);
    g_assert_true(keystate_key(ks, KEY_LEFTSHIFT, true));
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.depressed, !=, 0);
    g_assert_cmpuint(m.locked, ==, 0);
    g_assert_cmpuint(keystate_keysym(ks, KEY_A), ==, XKB_KEY_A);
    g_assert_cmpuint(keystate_keysym(ks, KEY_1), ==, XKB_KEY_exclam);
    /* A plain key changes no modifier. */
    g_assert_false(keystate_key(ks, KEY_A, true));
    g_assert_false(keystate_key(ks, KEY_A, false));
    g_assert_true(keystate_key(ks, KEY_LEFTSHIFT, false));
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.depressed, ==, 0);
    keystate_destroy(ks);
}

static void test_locks_and_leds(void)
{
    struct keystate *ks = make("us");
    g_assert_cmpuint(keystate_leds(ks), ==, 0);
    tap(ks, KEY_CAPSLOCK);
    struct keystate_mods m;
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.locked, !=, 0);
    g_assert_cmpuint(m.depressed, ==, 0);
    g_assert_cmpuint(keystate_leds(ks), ==, INJECTOR_LED_CAPS_LOCK);
    g_assert_cmpuint(keystate_keysym(ks, KEY_A), ==, XKB_KEY_A);
    tap(ks, KEY_NUMLOCK);
    g_assert_cmpuint(keystate_leds(ks), ==, INJECTOR_LED_CAPS_LOCK | INJECTOR_LED_NUM_LOCK);
    g_assert_cmpuint(keystate_keysym(ks, KEY_KP1), ==, XKB_KEY_KP_1);
    tap(ks, KEY_CAPSLOCK);
    g_assert_cmpuint(keystate_leds(ks), ==, INJECTOR_LED_NUM_LOCK);
    tap(ks, KEY_NUMLOCK);
    g_assert_cmpuint(keystate_leds(ks), ==, 0);
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.locked, ==, 0);
    keystate_destroy(ks);
}

static void test_de_altgr(void)
{
    struct keystate *ks = make("de");
    g_assert_cmpuint(keystate_keysym(ks, KEY_Y), ==, XKB_KEY_z);
    g_assert_cmpuint(keystate_keysym(ks, KEY_Z), ==, XKB_KEY_y);
    g_assert_cmpuint(keystate_keysym(ks, KEY_SEMICOLON), ==, XKB_KEY_odiaeresis);
    g_assert_true(keystate_key(ks, KEY_RIGHTALT, true));
    struct keystate_mods m;
    keystate_get_mods(ks, &m);
    g_assert_cmpuint(m.depressed, !=, 0); /* level 3 (Mod5) */
    g_assert_cmpuint(keystate_keysym(ks, KEY_Q), ==, XKB_KEY_at);
    g_assert_cmpuint(keystate_keysym(ks, KEY_E), ==, XKB_KEY_EuroSign);
    keystate_key(ks, KEY_RIGHTALT, false);
    g_assert_cmpuint(keystate_keysym(ks, KEY_Q), ==, XKB_KEY_q);
    keystate_destroy(ks);
}

static void test_fr(void)
{
    struct keystate *ks = make("fr");
    g_assert_cmpuint(keystate_keysym(ks, KEY_Q), ==, XKB_KEY_a);
    g_assert_cmpuint(keystate_keysym(ks, KEY_1), ==, XKB_KEY_ampersand);
    keystate_key(ks, KEY_LEFTSHIFT, true);
    g_assert_cmpuint(keystate_keysym(ks, KEY_1), ==, XKB_KEY_1);
    keystate_key(ks, KEY_LEFTSHIFT, false);
    keystate_key(ks, KEY_RIGHTALT, true);
    g_assert_cmpuint(keystate_keysym(ks, KEY_0), ==, XKB_KEY_at);
    keystate_destroy(ks);
}

/* The text we upload compiles back to the same keymap, as a compositor
 * does with it; the size counts the NUL a keymap fd carries. */
static void test_round_trip(void)
{
    struct keystate *de = make("de");
    size_t size;
    const char *text = keystate_keymap_text(de, &size);
    g_assert_cmpuint(size, ==, strlen(text) + 1);
    g_assert_true(keystate_same_keymap(de, text, size));
    g_assert_true(keystate_same_keymap(de, text, size - 1));
    char *error = NULL;
    struct keystate *back = keystate_create_from_string(text, size, &error);
    g_assert_null(error);
    g_assert_nonnull(back);
    size_t back_size;
    const char *back_text = keystate_keymap_text(back, &back_size);
    g_assert_true(keystate_same_keymap(de, back_text, back_size));
    g_assert_cmpuint(keystate_keysym(back, KEY_Y), ==, XKB_KEY_z);

    struct keystate *us = make("us");
    const char *us_text = keystate_keymap_text(us, &size);
    g_assert_false(keystate_same_keymap(de, us_text, size));
    keystate_destroy(us);
    keystate_destroy(back);
    keystate_destroy(de);
}

static void test_bad_keymap(void)
{
    char *error = NULL;
    const char junk[] = "xkb_keymap { this is not a keymap";
    g_assert_null(keystate_create_from_string(junk, sizeof junk, &error));
    g_assert_nonnull(error);
    g_assert_true(strstr(error, "keymap") != NULL);
    g_free(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* The layout tests need the XKB data, not the caller's defaults. */
    g_unsetenv("XKB_DEFAULT_LAYOUT");
    g_unsetenv("XKB_DEFAULT_VARIANT");
    g_unsetenv("XKB_DEFAULT_OPTIONS");
    if (!g_file_test("/usr/share/X11/xkb/symbols/de", G_FILE_TEST_EXISTS)) {
        printf("SKIP: no XKB data (/usr/share/X11/xkb, package xkb-data)\n");
        return 77;
    }
    g_test_add_func("/keystate/us-shift", test_us_shift);
    g_test_add_func("/keystate/locks-and-leds", test_locks_and_leds);
    g_test_add_func("/keystate/de-altgr", test_de_altgr);
    g_test_add_func("/keystate/fr", test_fr);
    g_test_add_func("/keystate/round-trip", test_round_trip);
    g_test_add_func("/keystate/bad-keymap", test_bad_keymap);
    return g_test_run();
}
