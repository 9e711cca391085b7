/* keymap: PC AT set-1 scancodes, as SPICE clients send them, to Linux evdev
 * key codes (X keycode = evdev code + 8).
 *
 * A set-1 key event is one byte (bit 7 set on release), two bytes after an
 * 0xe0 prefix for the extended keys, or the six-byte Pause sequence
 * (0xe1 0x1d 0x45 press, 0xe1 0x9d 0xc5 release). spice-server hands the
 * bytes over one at a time, so a decoder keeps the state between them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Evdev code of the key with set-1 make code @scancode (0x00..0x7f), after an
 * 0xe0 prefix when @extended; 0 when no key is defined there. */
uint16_t keymap_lookup(bool extended, uint8_t scancode);

struct keymap_event {
    uint16_t code; /* evdev KEY_* code, never 0 */
    bool pressed;
};

/* Decoder state for one keyboard. Zero-initialised or keymap_decoder_reset()
 * is the idle state. */
struct keymap_decoder {
    uint8_t state;
    bool pause_release;
    bool broken_logged;
    uint32_t unknown_logged[8]; /* one bit per (extended, scancode): logged once */
};

void keymap_decoder_reset(struct keymap_decoder *decoder);

/* Feeds one byte from the client. Returns true and fills @ret_event when the
 * byte completes a key event. Unknown keys are logged once at debug level and
 * dropped; a broken sequence is abandoned and the byte that broke it starts
 * afresh, so the decoder never stays stuck. */
bool keymap_decoder_feed(struct keymap_decoder *decoder, uint8_t byte,
                         struct keymap_event *ret_event);

/* True while the decoder waits for the rest of a multi-byte sequence. */
bool keymap_decoder_pending(const struct keymap_decoder *decoder);
