/* keycode-web: the browser's KeyboardEvent.code (a physical key position,
 * the W3C "UI Events KeyboardEvent code Values") to the PC AT set-1
 * scancode a SPICE client sends for that key.
 *
 * The scancode goes through the same byte decoder as SPICE's inputs channel
 * (input/keymap.h), so a key typed in the browser reaches the desktop as the
 * same evdev code a spice-gtk client would give it, and the desktop's own
 * layout decides the character (AltGr and dead keys included). Pure data,
 * no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest code value the page may send (PROTOCOL.md, KEY). */
#define KEYCODE_WEB_MAX_LEN 32

/* The set-1 make code of the key named @code (@len bytes, no NUL needed):
 * 0x01..0x7f, or 0xe000 | make for the keys sent after an 0xe0 prefix.
 * 0 for an empty, over-long or unknown name and for keys without a PC
 * scancode (Fn, NumpadHash...). Exact, case-sensitive match. */
uint16_t keycode_web_lookup(const char *code, size_t len);

/* The bytes a SPICE client sends for a press or release of @scancode (as
 * returned above): one, or two after 0xe0. Returns how many (0 for 0). */
size_t keycode_web_bytes(uint16_t scancode, bool pressed, uint8_t ret_bytes[2]);

/* The table, for tests: entry @i (0..count-1) as its name and scancode. */
size_t keycode_web_count(void);
const char *keycode_web_name(size_t i, uint16_t *ret_scancode);
