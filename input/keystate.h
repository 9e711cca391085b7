/* keystate: an XKB keymap and the keyboard state it gives, fed evdev codes.
 *
 * For injectors that must tell the compositor the modifiers themselves
 * (zwp_virtual_keyboard_v1.modifiers) and report lock LEDs: libxkbcommon's
 * xkb_state follows each key press and release, and the serialized
 * modifiers and LEDs are read back from it. Pure logic, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keystate;

struct keystate_mods {
    uint32_t depressed, latched, locked, group;
};

/* From keymap text (a wl_keyboard keymap, XKB v1). Returns NULL and sets
 * *ret_error when it does not compile. */
struct keystate *keystate_create_from_string(const char *text, size_t len, char **ret_error);
/* From RMLVO names; NULL fields take libxkbcommon's defaults, which honour
 * $XKB_DEFAULT_LAYOUT and friends. */
struct keystate *keystate_create_from_names(const char *layout, const char *variant,
                                            char **ret_error);
void keystate_destroy(struct keystate *ks);

/* The keymap as text, NUL-terminated; @ret_size counts the NUL (the size a
 * wl_keyboard keymap fd carries). Owned by @ks. */
const char *keystate_keymap_text(const struct keystate *ks, size_t *ret_size);
/* True when @text (of @len bytes, a trailing NUL allowed) is this keymap. */
bool keystate_same_keymap(const struct keystate *ks, const char *text, size_t len);

/* @code is an evdev KEY_* code. Returns true when the modifiers changed. */
bool keystate_key(struct keystate *ks, unsigned code, bool pressed);
void keystate_get_mods(const struct keystate *ks, struct keystate_mods *ret_mods);
/* Lock LEDs as enum injector_led bits. */
unsigned keystate_leds(const struct keystate *ks);
/* The keysym @code produces in the current state (its first), for tests
 * and logs. */
uint32_t keystate_keysym(const struct keystate *ks, unsigned code);
