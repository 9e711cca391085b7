/* web-resize: the page's size (RESIZE of agent/web/PROTOCOL.md, device
 * pixels) to the desktop's size, through the monitors path SPICE clients'
 * window sizes take (the composition root's @apply: RandR on X, swaymsg on
 * sway).
 *
 * Sizes are clamped to WEB_RESIZE_MIN/MAX; requests closer together than
 * WEB_RESIZE_INTERVAL_MS are folded into the newest, applied when the
 * interval is over, so a page cannot make the desktop flicker through
 * sizes. A size equal to the last applied one is not applied again. Main
 * loop only (a GLib timeout). */
#pragma once

#include <stdbool.h>

#define WEB_RESIZE_MIN_WIDTH   320
#define WEB_RESIZE_MIN_HEIGHT  200
#define WEB_RESIZE_MAX_WIDTH   8192
#define WEB_RESIZE_MAX_HEIGHT  8192
#define WEB_RESIZE_INTERVAL_MS 200

struct web_resize;

/* @apply makes the desktop @width x @height; it returns false when it
 * cannot (logged by it). */
struct web_resize *web_resize_create(bool (*apply)(int width, int height, void *data), void *data);
/* Drops a pending request. */
void web_resize_destroy(struct web_resize *wr);

/* The page asked for @width x @height; 0 in either means "keep". */
void web_resize_request(struct web_resize *wr, int width, int height);
/* The page went away: a pending request is dropped, and the next page's
 * size is applied even when it equals the last one. */
void web_resize_page_gone(struct web_resize *wr);
/* How many sizes were applied, for tests and metrics. */
unsigned web_resize_applied(const struct web_resize *wr);
