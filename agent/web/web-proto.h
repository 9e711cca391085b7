/* web-proto: the thindesk-web wire format (agent/web/PROTOCOL.md).
 *
 * Parses the page's messages (hostile input: every length is checked) and
 * builds the agent's. Plain C on GLib, no I/O, no libsoup: unit-tested and
 * fuzzed on its own. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_PROTO_VERSION 1

enum web_agent_msg {
    WEB_MSG_HELLO = 0x01,
    WEB_MSG_DESKTOP_SIZE = 0x02,
    WEB_MSG_TILE = 0x03,
    WEB_MSG_COPY = 0x04,
    WEB_MSG_FRAME_END = 0x05,
    WEB_MSG_CURSOR = 0x06,
    WEB_MSG_VIDEO = 0x07,
    WEB_MSG_VIDEO_CONFIG = 0x08,
    WEB_MSG_AUDIO = 0x09,
    WEB_MSG_CLIPBOARD = 0x0a,
    WEB_MSG_LEDS = 0x0b,
    WEB_MSG_BYE = 0x0c,
    WEB_MSG_PONG = 0x0d,
};

enum web_page_msg_type {
    WEB_PAGE_CAPS = 0x80,
    WEB_PAGE_ACK = 0x81,
    WEB_PAGE_KEY = 0x82,
    WEB_PAGE_POINTER = 0x83,
    WEB_PAGE_CLIPBOARD = 0x84,
    WEB_PAGE_RESIZE = 0x85,
    WEB_PAGE_MIC = 0x86,
    WEB_PAGE_STATS = 0x87,
    WEB_PAGE_LEDS = 0x88,
    WEB_PAGE_PING = 0x89,
    WEB_PAGE_RELEASE_ALL = 0x8a,
};
/* Page message types are 0x80 + index, index < WEB_PAGE_N_TYPES. */
#define WEB_PAGE_FIRST 0x80
#define WEB_PAGE_N_TYPES 11

enum web_hello_flags {
    WEB_HELLO_VIEW_ONLY = 1 << 0,
    WEB_HELLO_AUDIO = 1 << 1,
    WEB_HELLO_CLIPBOARD = 1 << 2,
    WEB_HELLO_RESIZE = 1 << 3,
};

enum web_caps_flags {
    WEB_CAPS_VIDEO_H264 = 1 << 0,
    WEB_CAPS_AUDIO_OPUS = 1 << 1,
    WEB_CAPS_DECOMPRESSION_STREAM = 1 << 2,
    WEB_CAPS_MIC_OPUS = 1 << 3,
};

enum web_tile_codec {
    WEB_TILE_PNG = 1,
    WEB_TILE_JPEG = 2,
    WEB_TILE_DEFLATE_BGRX = 3,
};

enum web_clipboard_kind {
    WEB_CLIPBOARD_TEXT = 1,
    WEB_CLIPBOARD_PNG = 2,
};

enum web_bye_reason {
    WEB_BYE_TAKEN_OVER = 1,
    WEB_BYE_EXPIRED = 2,
    WEB_BYE_STOPPING = 3,
    WEB_BYE_PROTOCOL = 4,
    WEB_BYE_DESKTOP_LOST = 5,
};

/* The largest page message (a clipboard of 1 MiB and its header). */
#define WEB_PAGE_MAX_MESSAGE ((1u << 20) + 2)
#define WEB_KEY_CODE_MAX 32

/* One parsed page message. Pointers point into the parsed buffer. */
struct web_page_msg {
    uint8_t type; /* enum web_page_msg_type */
    union {
        struct {
            uint8_t version, flags;
            uint16_t width, height;
        } caps;
        struct {
            uint32_t frame, decode_us;
        } ack;
        struct {
            bool down;
            char code[WEB_KEY_CODE_MAX + 1]; /* NUL-terminated, [A-Za-z0-9] */
        } key;
        struct {
            uint16_t x, y;
            uint8_t buttons;
            int8_t wheel_x, wheel_y;
        } pointer;
        struct {
            uint8_t kind; /* enum web_clipboard_kind */
            const uint8_t *data;
            size_t len;
        } clipboard;
        struct {
            uint16_t width, height;
        } resize;
        struct {
            uint32_t timestamp;
            const uint8_t *data;
            size_t len;
        } mic;
        struct {
            uint32_t fps100, decode_us, rtt_us;
        } stats;
        struct {
            uint8_t leds;
        } leds;
        struct {
            uint32_t token;
        } ping;
    } u;
};

/* Parses one page message of @len bytes. Returns 0, or -EMSGSIZE (too long),
 * -EPROTO (truncated, wrong length, bad field) or -ENOTSUP (unknown type),
 * with *ret_why a static sentence for the log. */
int web_proto_parse(const uint8_t *buf, size_t len, struct web_page_msg *ret_msg,
                    const char **ret_why);

/* Whether a message of @type may come now: CAPS first and only once. */
bool web_proto_order_ok(bool have_caps, uint8_t type);

/* Whether @type is keyboard or pointer input (dropped with --view-only and
 * counted against the input rate limit). */
bool web_proto_is_input(uint8_t type);

/* The type's name for logs ("KEY"), or "unknown". */
const char *web_proto_page_name(uint8_t type);

/* --- agent to page: each returns a new GBytes holding one message --- */
GBytes *web_proto_hello(uint8_t flags, int width, int height);
GBytes *web_proto_desktop_size(int width, int height);
/* TILE header and @len bytes of encoded tile. */
GBytes *web_proto_tile(uint8_t codec, int x, int y, int w, int h, uint32_t frame,
                       const uint8_t *data, size_t len);
GBytes *web_proto_copy(int src_x, int src_y, int dst_x, int dst_y, int w, int h, uint32_t frame);
GBytes *web_proto_frame_end(uint32_t frame, uint64_t capture_us);
/* @rgba: w*h straight-alpha RGBA pixels (NULL with w = h = 0: hidden). */
GBytes *web_proto_cursor(int w, int h, int hot_x, int hot_y, const uint8_t *rgba);
GBytes *web_proto_audio(uint32_t timestamp, const uint8_t *opus, size_t len);
GBytes *web_proto_clipboard(uint8_t kind, const uint8_t *data, size_t len);
GBytes *web_proto_leds(uint8_t leds);
/* @sentence: UTF-8 for people. */
GBytes *web_proto_bye(uint8_t reason, const char *sentence);
GBytes *web_proto_pong(uint32_t token);
