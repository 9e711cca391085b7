/* web-pump: the browser viewer's display path.
 *
 * Consumes the capture's damage the way frame-pump does for SPICE (only one
 * of them is active: one viewer at a time) and sends thindesk-web frames:
 * COPY for window moves and scrolls (display/copy-detect), lossless tiles
 * (PNG) for what changed, JPEG 4:4:4 for regions in motion, and a lossless
 * refresh of those regions once they have been still for a moment. At most
 * two frames are in flight without an ACK; meanwhile damage merges. A still
 * screen sends nothing. Main thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "display/capture.h"

struct web_server;
struct web_pump;

struct web_pump_config {
    int max_fps;
    bool copy_detection;
    uint8_t hello_flags; /* enum web_hello_flags */
};

struct web_pump_stats {
    uint64_t frames;       /* FRAME_ENDs sent */
    uint64_t acked;
    uint64_t lossless_tiles;
    uint64_t jpeg_tiles;
    uint64_t refresh_tiles; /* lossless tiles that replaced JPEG ones */
    uint64_t copies;
    uint64_t bytes;        /* tile and copy bytes sent */
    uint64_t encode_us;    /* main-thread time encoding tiles */
};

/* Registers itself as the ACK handler of @web. Returns NULL and sets
 * *ret_error when an encoder cannot start. */
struct web_pump *web_pump_create(struct capture *capture, struct web_server *web,
                                 const struct web_pump_config *config, char **ret_error);
void web_pump_destroy(struct web_pump *pump);

/* The viewer is ready (HELLO, CURSOR and a whole frame follow) or went. */
void web_pump_set_active(struct web_pump *pump, bool active);
bool web_pump_is_active(const struct web_pump *pump);
/* New damage or a free slot: run soon. */
void web_pump_kick(struct web_pump *pump);
void web_pump_resized(struct web_pump *pump, int width, int height);
/* @cursor: only valid during the call; NULL hides the pointer. */
void web_pump_set_cursor(struct web_pump *pump, const struct cursor_image *cursor);
void web_pump_get_stats(const struct web_pump *pump, struct web_pump_stats *ret_stats);
