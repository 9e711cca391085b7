#include "input/keystate.h"

#include <glib.h>
#include <string.h>
#include <xkbcommon/xkbcommon.h>

#include "input/injector.h"

/* evdev codes are XKB keycodes minus 8. */
#define EVDEV_TO_XKB 8

struct keystate {
    struct xkb_context *ctx;
    struct xkb_keymap *keymap;
    struct xkb_state *state;
    char *text;
    size_t size; /* with the NUL */
};

static struct keystate *finish_create(struct xkb_context *ctx, struct xkb_keymap *keymap,
                                      const char *what, char **ret_error)
{
    if (!keymap) {
        *ret_error = g_strdup_printf("cannot compile the XKB keymap %s", what);
        xkb_context_unref(ctx);
        return NULL;
    }
    struct keystate *ks = g_new0(struct keystate, 1);
    ks->ctx = ctx;
    ks->keymap = keymap;
    ks->state = xkb_state_new(keymap);
    ks->text = xkb_keymap_get_as_string(keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
    ks->size = ks->text ? strlen(ks->text) + 1 : 0;
    if (!ks->state || !ks->text) {
        *ret_error = g_strdup_printf("cannot set up the XKB keymap %s", what);
        keystate_destroy(ks);
        return NULL;
    }
    return ks;
}

struct keystate *keystate_create_from_string(const char *text, size_t len, char **ret_error)
{
    struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!ctx) {
        *ret_error = g_strdup("cannot create an XKB context");
        return NULL;
    }
    /* A keymap fd's size counts a trailing NUL; the parser wants text only. */
    len = strnlen(text, len);
    struct xkb_keymap *keymap = xkb_keymap_new_from_buffer(
        ctx, text, len, XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
    return finish_create(ctx, keymap, "the compositor sent", ret_error);
}

struct keystate *keystate_create_from_names(const char *layout, const char *variant,
                                            char **ret_error)
{
    struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!ctx) {
        *ret_error = g_strdup("cannot create an XKB context");
        return NULL;
    }
    struct xkb_rule_names names = {.layout = layout, .variant = variant};
    struct xkb_keymap *keymap = xkb_keymap_new_from_names(ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
    g_autofree char *what = g_strdup_printf("for layout %s", layout ? layout : "(default)");
    return finish_create(ctx, keymap, what, ret_error);
}

void keystate_destroy(struct keystate *ks)
{
    if (!ks)
        return;
    free(ks->text);
    xkb_state_unref(ks->state);
    xkb_keymap_unref(ks->keymap);
    xkb_context_unref(ks->ctx);
    g_free(ks);
}

const char *keystate_keymap_text(const struct keystate *ks, size_t *ret_size)
{
    *ret_size = ks->size;
    return ks->text;
}

bool keystate_same_keymap(const struct keystate *ks, const char *text, size_t len)
{
    len = strnlen(text, len);
    return len + 1 == ks->size && memcmp(text, ks->text, len) == 0;
}

bool keystate_key(struct keystate *ks, unsigned code, bool pressed)
{
    enum xkb_state_component changed =
        xkb_state_update_key(ks->state, code + EVDEV_TO_XKB, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
    return changed != 0;
}

void keystate_get_mods(const struct keystate *ks, struct keystate_mods *ret)
{
    ret->depressed = xkb_state_serialize_mods(ks->state, XKB_STATE_MODS_DEPRESSED);
    ret->latched = xkb_state_serialize_mods(ks->state, XKB_STATE_MODS_LATCHED);
    ret->locked = xkb_state_serialize_mods(ks->state, XKB_STATE_MODS_LOCKED);
    ret->group = xkb_state_serialize_layout(ks->state, XKB_STATE_LAYOUT_EFFECTIVE);
}

unsigned keystate_leds(const struct keystate *ks)
{
    unsigned leds = 0;
    if (xkb_state_led_name_is_active(ks->state, XKB_LED_NAME_CAPS) > 0)
        leds |= INJECTOR_LED_CAPS_LOCK;
    if (xkb_state_led_name_is_active(ks->state, XKB_LED_NAME_NUM) > 0)
        leds |= INJECTOR_LED_NUM_LOCK;
    if (xkb_state_led_name_is_active(ks->state, XKB_LED_NAME_SCROLL) > 0)
        leds |= INJECTOR_LED_SCROLL_LOCK;
    return leds;
}

uint32_t keystate_keysym(const struct keystate *ks, unsigned code)
{
    return xkb_state_key_get_one_sym(ks->state, code + EVDEV_TO_XKB);
}
