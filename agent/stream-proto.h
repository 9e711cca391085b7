/* stream-proto: the SPICE stream device protocol (spice-protocol's
 * <spice/stream-device.h>), without spice-server.
 *
 * A parser for the bytes spice-server writes to the guest side of the
 * "org.spice-space.stream.0" port (CAPABILITIES, START_STOP, NOTIFY_ERROR),
 * and builders for the messages the guest sends (CAPABILITIES, FORMAT, DATA,
 * CURSOR_SET, CURSOR_MOVE). Plain C, no allocation per message; the parser
 * never keeps more than STREAM_PROTO_MAX_BODY bytes of one message. Bytes are
 * little-endian on the wire. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_PROTO_HEADER_SIZE 8
/* Largest message body from the server that is kept (bigger ones are skipped). */
#define STREAM_PROTO_MAX_BODY 4096

enum stream_proto_event_type {
    STREAM_PROTO_CAPABILITIES, /* caps, caps_len */
    STREAM_PROTO_START,        /* codecs, n_codecs (>= 1): start (or restart) a stream */
    STREAM_PROTO_STOP,         /* the client's display went: stop sending */
    STREAM_PROTO_NOTIFY_ERROR, /* error_code, text: the server refused something of ours */
    STREAM_PROTO_INVALID,      /* text says what was refused; the session goes on */
};

struct stream_proto_event {
    enum stream_proto_event_type type;
    const uint8_t *caps;
    size_t caps_len;
    const uint8_t *codecs;
    int n_codecs;
    uint32_t error_code;
    const char *text; /* NUL-terminated, valid during the callback */
};

typedef void (*stream_proto_event_fn)(const struct stream_proto_event *event, void *user_data);

struct stream_parser;

struct stream_parser *stream_parser_create(void);
void stream_parser_destroy(struct stream_parser *parser);
/* The port was (re)opened: forget partial messages and the capabilities. */
void stream_parser_reset(struct stream_parser *parser);
/* Consumes all @len bytes; calls @fn for each complete message or refusal. */
void stream_parser_feed(struct stream_parser *parser, const uint8_t *data, size_t len,
                        stream_proto_event_fn fn, void *user_data);

/* Writes a header into @out (STREAM_PROTO_HEADER_SIZE bytes). */
void stream_proto_put_header(uint8_t *out, uint16_t type, uint32_t size);
/* Writes a whole message into @out and returns its length, or 0 when @out_len
 * is too small or the arguments are out of range. */
size_t stream_proto_capabilities(uint8_t *out, size_t out_len);
size_t stream_proto_format(uint8_t *out, size_t out_len, uint32_t width, uint32_t height,
                           uint8_t codec);
size_t stream_proto_cursor_move(uint8_t *out, size_t out_len, int32_t x, int32_t y);
/* CURSOR_SET of type ALPHA: @argb holds width * height native-endian 0xAARRGGBB
 * pixels (premultiplied or not, as SPICE's alpha cursors). */
size_t stream_proto_cursor_set(uint8_t *out, size_t out_len, uint16_t width, uint16_t height,
                               uint16_t hot_x, uint16_t hot_y, const uint32_t *argb);
size_t stream_proto_cursor_set_size(uint16_t width, uint16_t height);
