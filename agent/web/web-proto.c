#include "agent/web/web-proto.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Exact sizes of the fixed-size messages (type byte included); 0: variable. */
static const size_t fixed_size[WEB_PAGE_N_TYPES] = {
    [WEB_PAGE_CAPS - WEB_PAGE_FIRST] = 7,
    [WEB_PAGE_ACK - WEB_PAGE_FIRST] = 9,
    [WEB_PAGE_POINTER - WEB_PAGE_FIRST] = 8,
    [WEB_PAGE_RESIZE - WEB_PAGE_FIRST] = 5,
    [WEB_PAGE_STATS - WEB_PAGE_FIRST] = 13,
    [WEB_PAGE_LEDS - WEB_PAGE_FIRST] = 2,
    [WEB_PAGE_PING - WEB_PAGE_FIRST] = 5,
    [WEB_PAGE_RELEASE_ALL - WEB_PAGE_FIRST] = 1,
};

static const char *const names[WEB_PAGE_N_TYPES] = {
    "CAPS", "ACK", "KEY", "POINTER", "CLIPBOARD", "RESIZE", "MIC", "STATS", "LEDS", "PING",
    "RELEASE_ALL",
};

const char *web_proto_page_name(uint8_t type)
{
    if (type < WEB_PAGE_FIRST || type >= WEB_PAGE_FIRST + WEB_PAGE_N_TYPES)
        return "unknown";
    return names[type - WEB_PAGE_FIRST];
}

static int fail(const char **ret_why, const char *why, int err)
{
    *ret_why = why;
    return err;
}

int web_proto_parse(const uint8_t *buf, size_t len, struct web_page_msg *ret_msg,
                    const char **ret_why)
{
    static const char *unused;
    if (!ret_why)
        ret_why = &unused;
    if (len == 0)
        return fail(ret_why, "empty message", -EPROTO);
    if (len > WEB_PAGE_MAX_MESSAGE)
        return fail(ret_why, "message larger than 1 MiB", -EMSGSIZE);
    uint8_t type = buf[0];
    if (type < WEB_PAGE_FIRST || type >= WEB_PAGE_FIRST + WEB_PAGE_N_TYPES)
        return fail(ret_why, "unknown message type", -ENOTSUP);
    size_t want = fixed_size[type - WEB_PAGE_FIRST];
    if (want && len != want)
        return fail(ret_why, len < want ? "truncated message" : "message longer than its type",
                    -EPROTO);
    struct web_page_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    const uint8_t *p = buf + 1;
    switch (type) {
    case WEB_PAGE_CAPS:
        m.u.caps.version = p[0];
        m.u.caps.flags = p[1];
        m.u.caps.width = get16(p + 2);
        m.u.caps.height = get16(p + 4);
        if (m.u.caps.version != WEB_PROTO_VERSION)
            return fail(ret_why, "unsupported protocol version", -EPROTO);
        if ((m.u.caps.width == 0) != (m.u.caps.height == 0))
            return fail(ret_why, "page size with one side zero", -EPROTO);
        break;
    case WEB_PAGE_ACK:
        m.u.ack.frame = get32(p);
        m.u.ack.decode_us = get32(p + 4);
        break;
    case WEB_PAGE_KEY: {
        if (len < 3)
            return fail(ret_why, "truncated message", -EPROTO);
        if (p[0] > 1)
            return fail(ret_why, "key state other than up or down", -EPROTO);
        size_t n = p[1];
        if (n == 0 || n > WEB_KEY_CODE_MAX)
            return fail(ret_why, "key code empty or longer than 32 bytes", -EPROTO);
        if (len != 3 + n)
            return fail(ret_why, len < 3 + n ? "truncated message" : "message longer than its key code",
                        -EPROTO);
        for (size_t i = 0; i < n; i++)
            if (!g_ascii_isalnum(p[2 + i]))
                return fail(ret_why, "key code with a character other than A-Z, a-z, 0-9",
                            -EPROTO);
        m.u.key.down = p[0];
        memcpy(m.u.key.code, p + 2, n);
        m.u.key.code[n] = '\0';
        break;
    }
    case WEB_PAGE_POINTER:
        m.u.pointer.x = get16(p);
        m.u.pointer.y = get16(p + 2);
        m.u.pointer.buttons = p[4];
        m.u.pointer.wheel_x = (int8_t)p[5];
        m.u.pointer.wheel_y = (int8_t)p[6];
        if (m.u.pointer.buttons & 0xe0)
            return fail(ret_why, "unknown pointer buttons", -EPROTO);
        break;
    case WEB_PAGE_CLIPBOARD:
        if (len < 2)
            return fail(ret_why, "truncated message", -EPROTO);
        if (p[0] != WEB_CLIPBOARD_TEXT && p[0] != WEB_CLIPBOARD_PNG)
            return fail(ret_why, "unknown clipboard kind", -EPROTO);
        m.u.clipboard.kind = p[0];
        m.u.clipboard.data = p + 1;
        m.u.clipboard.len = len - 2;
        break;
    case WEB_PAGE_RESIZE:
        m.u.resize.width = get16(p);
        m.u.resize.height = get16(p + 2);
        if (m.u.resize.width == 0 || m.u.resize.height == 0)
            return fail(ret_why, "resize to an empty size", -EPROTO);
        break;
    case WEB_PAGE_MIC:
        if (len < 6)
            return fail(ret_why, "truncated message", -EPROTO);
        m.u.mic.timestamp = get32(p);
        m.u.mic.data = p + 4;
        m.u.mic.len = len - 5;
        break;
    case WEB_PAGE_STATS:
        m.u.stats.fps100 = get32(p);
        m.u.stats.decode_us = get32(p + 4);
        m.u.stats.rtt_us = get32(p + 8);
        break;
    case WEB_PAGE_LEDS:
        if (p[0] & 0xf8)
            return fail(ret_why, "unknown lock keys", -EPROTO);
        m.u.leds.leds = p[0];
        break;
    case WEB_PAGE_PING:
        m.u.ping.token = get32(p);
        break;
    case WEB_PAGE_RELEASE_ALL:
        break;
    }
    *ret_msg = m;
    *ret_why = NULL;
    return 0;
}

bool web_proto_order_ok(bool have_caps, uint8_t type)
{
    return have_caps ? type != WEB_PAGE_CAPS : type == WEB_PAGE_CAPS;
}

bool web_proto_is_input(uint8_t type)
{
    return type == WEB_PAGE_KEY || type == WEB_PAGE_POINTER || type == WEB_PAGE_RELEASE_ALL ||
           type == WEB_PAGE_LEDS;
}

/* --- agent to page --- */

struct out {
    uint8_t *p;
};

static void put8(struct out *o, unsigned v)
{
    *o->p++ = (uint8_t)v;
}

static void put16(struct out *o, unsigned v)
{
    put8(o, v & 0xff);
    put8(o, (v >> 8) & 0xff);
}

static void put32(struct out *o, uint32_t v)
{
    put16(o, v & 0xffff);
    put16(o, v >> 16);
}

static void put64(struct out *o, uint64_t v)
{
    put32(o, (uint32_t)v);
    put32(o, (uint32_t)(v >> 32));
}

static void putn(struct out *o, const void *data, size_t len)
{
    if (len)
        memcpy(o->p, data, len);
    o->p += len;
}

static uint16_t clamp16(int v)
{
    return v < 0 ? 0 : v > 0xffff ? 0xffff : (uint16_t)v;
}

/* A message buffer of @size bytes starting with @type. */
static uint8_t *start(uint8_t type, size_t size, struct out *o)
{
    uint8_t *buf = g_malloc(size);
    o->p = buf;
    put8(o, type);
    return buf;
}

GBytes *web_proto_hello(uint8_t flags, int width, int height)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_HELLO, 9, &o);
    put8(&o, WEB_PROTO_VERSION);
    put8(&o, flags);
    put16(&o, clamp16(width));
    put16(&o, clamp16(height));
    put16(&o, 0);
    return g_bytes_new_take(b, 9);
}

GBytes *web_proto_desktop_size(int width, int height)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_DESKTOP_SIZE, 5, &o);
    put16(&o, clamp16(width));
    put16(&o, clamp16(height));
    return g_bytes_new_take(b, 5);
}

GBytes *web_proto_tile(uint8_t codec, int x, int y, int w, int h, uint32_t frame,
                       const uint8_t *data, size_t len)
{
    struct out o;
    size_t size = 14 + len;
    uint8_t *b = start(WEB_MSG_TILE, size, &o);
    put8(&o, codec);
    put16(&o, clamp16(x));
    put16(&o, clamp16(y));
    put16(&o, clamp16(w));
    put16(&o, clamp16(h));
    put32(&o, frame);
    putn(&o, data, len);
    return g_bytes_new_take(b, size);
}

GBytes *web_proto_copy(int src_x, int src_y, int dst_x, int dst_y, int w, int h, uint32_t frame)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_COPY, 17, &o);
    put16(&o, clamp16(src_x));
    put16(&o, clamp16(src_y));
    put16(&o, clamp16(dst_x));
    put16(&o, clamp16(dst_y));
    put16(&o, clamp16(w));
    put16(&o, clamp16(h));
    put32(&o, frame);
    return g_bytes_new_take(b, 17);
}

GBytes *web_proto_frame_end(uint32_t frame, uint64_t capture_us)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_FRAME_END, 13, &o);
    put32(&o, frame);
    put64(&o, capture_us);
    return g_bytes_new_take(b, 13);
}

GBytes *web_proto_cursor(int w, int h, int hot_x, int hot_y, const uint8_t *rgba)
{
    struct out o;
    if (!rgba)
        w = h = 0;
    size_t px = (size_t)clamp16(w) * clamp16(h) * 4;
    size_t size = 9 + px;
    uint8_t *b = start(WEB_MSG_CURSOR, size, &o);
    put16(&o, clamp16(w));
    put16(&o, clamp16(h));
    put16(&o, clamp16(hot_x));
    put16(&o, clamp16(hot_y));
    putn(&o, rgba, px);
    return g_bytes_new_take(b, size);
}

GBytes *web_proto_audio(uint32_t timestamp, const uint8_t *opus, size_t len)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_AUDIO, 5 + len, &o);
    put32(&o, timestamp);
    putn(&o, opus, len);
    return g_bytes_new_take(b, 5 + len);
}

GBytes *web_proto_clipboard(uint8_t kind, const uint8_t *data, size_t len)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_CLIPBOARD, 2 + len, &o);
    put8(&o, kind);
    putn(&o, data, len);
    return g_bytes_new_take(b, 2 + len);
}

GBytes *web_proto_leds(uint8_t leds)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_LEDS, 2, &o);
    put8(&o, leds);
    return g_bytes_new_take(b, 2);
}

GBytes *web_proto_bye(uint8_t reason, const char *sentence)
{
    struct out o;
    size_t n = sentence ? strlen(sentence) : 0;
    uint8_t *b = start(WEB_MSG_BYE, 2 + n, &o);
    put8(&o, reason);
    putn(&o, sentence, n);
    return g_bytes_new_take(b, 2 + n);
}

GBytes *web_proto_pong(uint32_t token)
{
    struct out o;
    uint8_t *b = start(WEB_MSG_PONG, 5, &o);
    put32(&o, token);
    return g_bytes_new_take(b, 5);
}
