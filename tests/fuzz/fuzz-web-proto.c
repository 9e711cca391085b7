/* libFuzzer target: the browser page's WebSocket messages (agent/web/web-proto).
 * The input is a sequence of messages, each prefixed by a 2-byte length, fed
 * through the parser and the order check as a viewer would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/web/web-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool have_caps = false;
    size_t sum = 0;
    while (size >= 2) {
        size_t len = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2, size -= 2;
        if (len > size)
            len = size;
        /* a private copy, so reads past the message are caught */
        uint8_t *msg = malloc(len ? len : 1);
        memcpy(msg, data, len);
        struct web_page_msg m;
        const char *why = NULL;
        if (web_proto_parse(msg, len, &m, &why) == 0) {
            if (web_proto_order_ok(have_caps, m.type)) {
                if (m.type == WEB_PAGE_CAPS)
                    have_caps = true;
                if (m.type == WEB_PAGE_CLIPBOARD)
                    for (size_t i = 0; i < m.u.clipboard.len; i++)
                        sum += m.u.clipboard.data[i];
                if (m.type == WEB_PAGE_MIC)
                    for (size_t i = 0; i < m.u.mic.len; i++)
                        sum += m.u.mic.data[i];
                if (m.type == WEB_PAGE_KEY && strlen(m.u.key.code) > WEB_KEY_CODE_MAX)
                    abort();
            }
        } else if (!why) {
            abort();
        }
        free(msg);
        data += len, size -= len;
    }
    return sum == (size_t)-1;
}
