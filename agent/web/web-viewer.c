#include "agent/web/web-viewer.h"

#include <errno.h>
#include <string.h>

struct web_viewer {
    SoupWebsocketConnection *conn;
    char *address;
    bool view_only;
    bool ready;
    bool closing;
    struct web_viewer_events events;
    uint8_t caps_flags;
    int page_w, page_h;
    guint caps_timer;
    gulong message_id, closed_id;
    /* input rate limit: messages in the current second */
    uint64_t dropped_view_only;
};

static void protocol_error(struct web_viewer *v, const char *why, uint8_t type)
{
    if (v->closing)
        return;
    g_warning("web viewer %s: %s (message type 0x%02x); closing its socket", v->address, why, type);
    v->closing = true;
    soup_websocket_connection_close(v->conn, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, why);
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
    struct web_viewer *v = data;
    (void)conn;
    if (v->closing)
        return;
    if (type != SOUP_WEBSOCKET_DATA_BINARY) {
        g_warning("web viewer %s sent a text message; closing its socket", v->address);
        v->closing = true;
        soup_websocket_connection_close(v->conn, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
                                        "binary messages only");
        return;
    }
    gsize len;
    const uint8_t *buf = g_bytes_get_data(message, &len);
    struct web_page_msg m;
    const char *why = NULL;
    if (web_proto_parse(buf, len, &m, &why) < 0) {
        protocol_error(v, why, len ? buf[0] : 0);
        return;
    }
    if (!web_proto_order_ok(v->ready, m.type)) {
        protocol_error(v, v->ready ? "CAPS sent twice" : "a message before CAPS", m.type);
        return;
    }
    if (m.type == WEB_PAGE_CAPS) {
        v->ready = true;
        v->caps_flags = m.u.caps.flags;
        v->page_w = m.u.caps.width;
        v->page_h = m.u.caps.height;
        if (v->caps_timer)
            g_source_remove(v->caps_timer);
        v->caps_timer = 0;
        if (v->events.ready)
            v->events.ready(v, v->events.data);
        return;
    }
    if (m.type == WEB_PAGE_PING) {
        g_autoptr(GBytes) pong = web_proto_pong(m.u.ping.token);
        web_viewer_send(v, pong);
        return;
    }
    if (web_proto_is_input(m.type)) {
        if (v->view_only) {
            v->dropped_view_only++;
            return;
        }
        /* The rate limit is the input handler's (agent/web/web-input.c):
         * it lets releases through, so a flood never leaves a key down. */
    }
    if (v->events.message)
        v->events.message(v, &m, v->events.data);
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data)
{
    struct web_viewer *v = data;
    (void)conn;
    g_message("web viewer %s: socket closed (code %u)", v->address,
              soup_websocket_connection_get_close_code(v->conn));
    if (v->events.closed)
        v->events.closed(v, v->events.data);
    web_viewer_free(v);
}

static gboolean on_caps_timeout(gpointer data)
{
    struct web_viewer *v = data;
    v->caps_timer = 0;
    protocol_error(v, "no CAPS within 5 s", 0);
    return G_SOURCE_REMOVE;
}

struct web_viewer *web_viewer_new(SoupWebsocketConnection *conn, const char *address,
                                  bool view_only, const struct web_viewer_events *events)
{
    struct web_viewer *v = g_new0(struct web_viewer, 1);
    v->conn = g_object_ref(conn);
    v->address = g_strdup(address);
    v->view_only = view_only;
    v->events = *events;
    v->message_id = g_signal_connect(conn, "message", G_CALLBACK(on_message), v);
    v->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), v);
    v->caps_timer = g_timeout_add(WEB_CAPS_TIMEOUT_MS, on_caps_timeout, v);
    return v;
}

void web_viewer_free(struct web_viewer *v)
{
    if (!v)
        return;
    if (v->caps_timer)
        g_source_remove(v->caps_timer);
    g_signal_handler_disconnect(v->conn, v->message_id);
    g_signal_handler_disconnect(v->conn, v->closed_id);
    if (soup_websocket_connection_get_state(v->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(v->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    g_object_unref(v->conn);
    g_free(v->address);
    g_free(v);
}

const char *web_viewer_address(const struct web_viewer *v)
{
    return v->address;
}

bool web_viewer_is_ready(const struct web_viewer *v)
{
    return v->ready && !v->closing;
}

uint8_t web_viewer_caps_flags(const struct web_viewer *v)
{
    return v->caps_flags;
}

void web_viewer_page_size(const struct web_viewer *v, int *ret_width, int *ret_height)
{
    *ret_width = v->page_w;
    *ret_height = v->page_h;
}

bool web_viewer_send(struct web_viewer *v, GBytes *msg)
{
    if (v->closing || soup_websocket_connection_get_state(v->conn) != SOUP_WEBSOCKET_STATE_OPEN)
        return false;
    soup_websocket_connection_send_message(v->conn, SOUP_WEBSOCKET_DATA_BINARY, msg);
    return true;
}

void web_viewer_bye(struct web_viewer *v, uint8_t reason, const char *sentence)
{
    if (v->closing)
        return;
    g_autoptr(GBytes) bye = web_proto_bye(reason, sentence);
    web_viewer_send(v, bye);
    g_message("web viewer %s: %s", v->address, sentence);
    v->closing = true;
    soup_websocket_connection_close(v->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

