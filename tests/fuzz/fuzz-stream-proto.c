/* libFuzzer target: the stream device messages spice-server writes to us.
 * The first input byte picks how the rest is split into feeds, so partial
 * headers and bodies are covered too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/stream-proto.h"

static void on_event(const struct stream_proto_event *ev, void *data)
{
    size_t *sum = data;
    switch (ev->type) {
    case STREAM_PROTO_CAPABILITIES:
        if (ev->caps_len > 1024)
            abort();
        for (size_t i = 0; i < ev->caps_len; i++)
            *sum += ev->caps[i];
        break;
    case STREAM_PROTO_START:
        if (ev->n_codecs < 1 || ev->n_codecs > 255)
            abort();
        for (int i = 0; i < ev->n_codecs; i++)
            *sum += ev->codecs[i];
        break;
    case STREAM_PROTO_NOTIFY_ERROR:
    case STREAM_PROTO_INVALID:
        *sum += strlen(ev->text);
        break;
    case STREAM_PROTO_STOP:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    struct stream_parser *p = stream_parser_create();
    size_t sum = 0;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        stream_parser_feed(p, data + off, n, on_event, &sum);
        if (data[off] == 0xa5)
            stream_parser_reset(p);
    }
    stream_parser_destroy(p);
    return sum == (size_t)-1;
}
