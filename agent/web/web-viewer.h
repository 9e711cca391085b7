/* web-viewer: one browser's WebSocket (/ws) after the handshake was let in.
 *
 * It checks the message order (CAPS first), parses every message with
 * web-proto, answers PING, drops input with --view-only and beyond the input
 * rate limit, and hands the rest to the server's dispatch table. Protocol
 * errors close the socket with 1002 and a log line. Main thread only. */
#pragma once

#include <libsoup/soup.h>
#include <stdbool.h>

#include "agent/web/web-proto.h"

struct web_viewer;

/* A viewer must send CAPS this soon after the upgrade. */
#define WEB_CAPS_TIMEOUT_MS 5000

struct web_viewer_events {
    /* CAPS arrived: the viewer is ready for HELLO and frames. */
    void (*ready)(struct web_viewer *v, void *data);
    /* Any other valid message, in order, already filtered. */
    void (*message)(struct web_viewer *v, const struct web_page_msg *msg, void *data);
    /* The socket closed (either side); the viewer is freed after this. */
    void (*closed)(struct web_viewer *v, void *data);
    void *data;
};

/* Takes a reference to @conn. @address names the peer in logs. */
struct web_viewer *web_viewer_new(SoupWebsocketConnection *conn, const char *address,
                                  bool view_only, const struct web_viewer_events *events);
/* Closes without a BYE (the agent is going) and frees; no closed event. */
void web_viewer_free(struct web_viewer *v);

const char *web_viewer_address(const struct web_viewer *v);
bool web_viewer_is_ready(const struct web_viewer *v);
/* The page's CAPS (valid once ready). */
uint8_t web_viewer_caps_flags(const struct web_viewer *v);
void web_viewer_page_size(const struct web_viewer *v, int *ret_width, int *ret_height);

/* Sends one message (does not take @msg). False when the socket is not open. */
bool web_viewer_send(struct web_viewer *v, GBytes *msg);
/* Sends BYE and closes; the closed event follows later. */
void web_viewer_bye(struct web_viewer *v, uint8_t reason, const char *sentence);
