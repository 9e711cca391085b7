#include "agent/stream-proto.h"

#include <spice/enums.h>
#include <spice/stream-device.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stream_parser {
    uint8_t header[STREAM_PROTO_HEADER_SIZE];
    size_t header_pos;
    uint16_t type;
    uint32_t size;     /* body size from the header */
    uint32_t body_pos; /* body bytes consumed so far */
    bool skipping;     /* the body is dropped, not kept */
    bool caps_seen;
    uint8_t body[STREAM_PROTO_MAX_BODY + 1]; /* + a NUL for texts */
};

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

struct stream_parser *stream_parser_create(void)
{
    return calloc(1, sizeof(struct stream_parser));
}

void stream_parser_destroy(struct stream_parser *parser)
{
    free(parser);
}

void stream_parser_reset(struct stream_parser *p)
{
    p->header_pos = 0;
    p->body_pos = 0;
    p->size = 0;
    p->skipping = false;
    p->caps_seen = false;
}

static void emit_invalid(stream_proto_event_fn fn, void *data, const char *text)
{
    struct stream_proto_event ev = {.type = STREAM_PROTO_INVALID, .text = text};
    fn(&ev, data);
}

/* Checks a header just completed; decides whether the body is kept. */
static void begin_body(struct stream_parser *p, stream_proto_event_fn fn, void *data)
{
    char why[160];
    uint8_t version = p->header[0];
    p->type = get_le16(p->header + 2);
    p->size = get_le32(p->header + 4);
    p->body_pos = 0;
    p->skipping = true;
    if (version != STREAM_DEVICE_PROTOCOL) {
        snprintf(why, sizeof(why),
                 "stream message of protocol version %u (not %u), %u bytes skipped", version,
                 STREAM_DEVICE_PROTOCOL, p->size);
        emit_invalid(fn, data, why);
        return;
    }
    uint32_t min = 0, max = 0;
    switch (p->type) {
    case STREAM_TYPE_CAPABILITIES:
        max = STREAM_MSG_CAPABILITIES_MAX_BYTES;
        break;
    case STREAM_TYPE_START_STOP:
        min = 1;
        max = 1 + 255;
        break;
    case STREAM_TYPE_NOTIFY_ERROR:
        min = 4;
        max = STREAM_PROTO_MAX_BODY;
        break;
    default:
        snprintf(why, sizeof(why),
                 "unexpected stream message type %u from the server, %u bytes skipped", p->type,
                 p->size);
        emit_invalid(fn, data, why);
        return;
    }
    if (p->size < min || p->size > max) {
        snprintf(why, sizeof(why), "stream message type %u of %u bytes (allowed %u..%u), skipped",
                 p->type, p->size, min, max);
        emit_invalid(fn, data, why);
        return;
    }
    p->skipping = false;
}

static void finish_body(struct stream_parser *p, stream_proto_event_fn fn, void *data)
{
    struct stream_proto_event ev = {0};
    switch (p->type) {
    case STREAM_TYPE_CAPABILITIES:
        p->caps_seen = true;
        ev.type = STREAM_PROTO_CAPABILITIES;
        ev.caps = p->body;
        ev.caps_len = p->size;
        break;
    case STREAM_TYPE_START_STOP: {
        unsigned n = p->body[0];
        if (p->size != 1 + n) {
            char why[120];
            snprintf(why, sizeof(why), "START_STOP lists %u codecs in %u bytes, refused", n,
                     p->size - 1);
            emit_invalid(fn, data, why);
            return;
        }
        if (!p->caps_seen) {
            emit_invalid(fn, data, "START_STOP before CAPABILITIES, refused");
            return;
        }
        ev.type = n ? STREAM_PROTO_START : STREAM_PROTO_STOP;
        ev.codecs = p->body + 1;
        ev.n_codecs = (int)n;
        break;
    }
    case STREAM_TYPE_NOTIFY_ERROR:
        ev.type = STREAM_PROTO_NOTIFY_ERROR;
        ev.error_code = get_le32(p->body);
        p->body[p->size] = '\0';
        /* The text need not be NUL-terminated; stop at an embedded NUL. */
        ev.text = (const char *)p->body + 4;
        break;
    default:
        return;
    }
    fn(&ev, data);
}

void stream_parser_feed(struct stream_parser *p, const uint8_t *data, size_t len,
                        stream_proto_event_fn fn, void *user_data)
{
    while (len > 0) {
        if (p->header_pos < STREAM_PROTO_HEADER_SIZE) {
            size_t n = STREAM_PROTO_HEADER_SIZE - p->header_pos;
            if (n > len)
                n = len;
            memcpy(p->header + p->header_pos, data, n);
            p->header_pos += n;
            data += n;
            len -= n;
            if (p->header_pos < STREAM_PROTO_HEADER_SIZE)
                return;
            begin_body(p, fn, user_data);
        }
        size_t n = p->size - p->body_pos;
        if (n > len)
            n = len;
        if (!p->skipping)
            memcpy(p->body + p->body_pos, data, n);
        p->body_pos += (uint32_t)n;
        data += n;
        len -= n;
        if (p->body_pos == p->size) {
            if (!p->skipping)
                finish_body(p, fn, user_data);
            p->header_pos = 0;
        }
    }
}

void stream_proto_put_header(uint8_t *out, uint16_t type, uint32_t size)
{
    out[0] = STREAM_DEVICE_PROTOCOL;
    out[1] = 0;
    put_le16(out + 2, type);
    put_le32(out + 4, size);
}

size_t stream_proto_capabilities(uint8_t *out, size_t out_len)
{
    /* No capability bits: 0.15.1 refuses QUALITY_INDICATOR anyway. */
    size_t total = STREAM_PROTO_HEADER_SIZE + 1;
    if (out_len < total)
        return 0;
    stream_proto_put_header(out, STREAM_TYPE_CAPABILITIES, 1);
    out[STREAM_PROTO_HEADER_SIZE] = 0;
    return total;
}

size_t stream_proto_format(uint8_t *out, size_t out_len, uint32_t width, uint32_t height,
                           uint8_t codec)
{
    size_t total = STREAM_PROTO_HEADER_SIZE + sizeof(StreamMsgFormat);
    if (out_len < total || width == 0 || height == 0)
        return 0;
    uint8_t *b = out + STREAM_PROTO_HEADER_SIZE;
    stream_proto_put_header(out, STREAM_TYPE_FORMAT, sizeof(StreamMsgFormat));
    memset(b, 0, sizeof(StreamMsgFormat));
    put_le32(b, width);
    put_le32(b + 4, height);
    b[8] = codec;
    return total;
}

size_t stream_proto_cursor_move(uint8_t *out, size_t out_len, int32_t x, int32_t y)
{
    size_t total = STREAM_PROTO_HEADER_SIZE + sizeof(StreamMsgCursorMove);
    if (out_len < total)
        return 0;
    stream_proto_put_header(out, STREAM_TYPE_CURSOR_MOVE, sizeof(StreamMsgCursorMove));
    put_le32(out + STREAM_PROTO_HEADER_SIZE, (uint32_t)x);
    put_le32(out + STREAM_PROTO_HEADER_SIZE + 4, (uint32_t)y);
    return total;
}

size_t stream_proto_cursor_set_size(uint16_t width, uint16_t height)
{
    return STREAM_PROTO_HEADER_SIZE + sizeof(StreamMsgCursorSet) + (size_t)width * height * 4;
}

size_t stream_proto_cursor_set(uint8_t *out, size_t out_len, uint16_t width, uint16_t height,
                               uint16_t hot_x, uint16_t hot_y, const uint32_t *argb)
{
    size_t total = stream_proto_cursor_set_size(width, height);
    if (out_len < total || width == 0 || height == 0 || width > STREAM_MSG_CURSOR_SET_MAX_WIDTH ||
        height > STREAM_MSG_CURSOR_SET_MAX_HEIGHT)
        return 0;
    stream_proto_put_header(out, STREAM_TYPE_CURSOR_SET,
                            (uint32_t)(total - STREAM_PROTO_HEADER_SIZE));
    uint8_t *b = out + STREAM_PROTO_HEADER_SIZE;
    memset(b, 0, sizeof(StreamMsgCursorSet));
    put_le16(b, width);
    put_le16(b + 2, height);
    put_le16(b + 4, hot_x);
    put_le16(b + 6, hot_y);
    b[8] = SPICE_CURSOR_TYPE_ALPHA;
    b += sizeof(StreamMsgCursorSet);
    for (size_t i = 0; i < (size_t)width * height; i++)
        put_le32(b + i * 4, argb[i]);
    return total;
}
