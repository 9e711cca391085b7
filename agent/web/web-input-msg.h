/* web-input-msg: the page's input, clipboard and resize messages of the
 * browser protocol (agent/web/PROTOCOL.md), parsed from the bytes of one
 * WebSocket message. Pure, any bytes; nothing is kept. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WEB_MSG_KEY = 0x82,
    WEB_MSG_POINTER = 0x83,
    WEB_MSG_CLIPBOARD = 0x84,
    WEB_MSG_RESIZE = 0x85,
    WEB_MSG_LEDS = 0x88,
    WEB_MSG_RELEASE_ALL = 0x8a,
};

/* Agent to page. */
enum {
    WEB_MSG_OUT_CLIPBOARD = 0x0a,
    WEB_MSG_OUT_LEDS = 0x0b,
};

/* CLIPBOARD kinds, both ways. */
enum {
    WEB_CLIP_TEXT = 1, /* text/plain, UTF-8 */
    WEB_CLIP_PNG = 2,  /* image/png */
};

/* POINTER buttons: bit0 left, bit1 middle, bit2 right, bit3 back, bit4
 * forward (the injector's enum order). */
#define WEB_POINTER_BUTTONS_MASK 0x1fu

struct web_input_msg {
    uint8_t type;
    union {
        struct {
            bool down;
            uint16_t scancode; /* 0: a well-formed but unknown code */
            const char *code;  /* into the message, not NUL-terminated */
            uint8_t code_len;
        } key;
        struct {
            uint16_t x, y;
            uint8_t buttons; /* bits above WEB_POINTER_BUTTONS_MASK cleared */
            int8_t wheel_x, wheel_y;
        } pointer;
        struct {
            uint16_t width, height;
        } resize;
        struct {
            uint8_t leds; /* enum injector_led bits; others cleared */
        } leds;
        struct {
            uint8_t kind; /* WEB_CLIP_TEXT or WEB_CLIP_PNG */
            const uint8_t *data; /* into the message */
            size_t len;
        } clipboard;
    };
};

/* Parses one page message of the types above. Returns 0 and fills @ret_msg;
 * -ENOTSUP for another type (not ours: untouched); -EPROTO for a malformed
 * one (wrong length, code longer than 32 bytes or empty, unknown clipboard
 * kind), which closes the socket. */
int web_input_msg_parse(const uint8_t *bytes, size_t len, struct web_input_msg *ret_msg);
