/* libFuzzer target: one datagram on session.sock, from either side (the
 * session helper is the user's, the service is root: both parse what the
 * other sends). A parsed message must format back and parse to the same. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/system/session-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct session_msg m;
    const char *why = NULL;
    if (!session_proto_parse(data, size, &m, &why)) {
        if (!why || !*why)
            abort();
        return 0;
    }
    if (m.payload && (m.payload < data || m.payload + m.payload_len > data + size))
        abort();
    size_t len = 0;
    uint8_t *out = session_proto_format(&m, &len);
    if (!out)
        abort(); /* whatever parses can be sent */
    struct session_msg again;
    if (!session_proto_parse(out, len, &again, &why))
        abort();
    if (again.type != m.type || again.id != m.id || again.version != m.version ||
        again.payload_len != m.payload_len || g_strcmp0(again.name, m.name) != 0 ||
        g_strcmp0(again.session, m.session) != 0 || g_strcmp0(again.reason, m.reason) != 0)
        abort();
    session_msg_clear(&again);
    session_msg_clear(&m);
    g_free(out);
    return 0;
}
