/* resize-x11: lays out the X screen's outputs through RandR, as a client's
 * monitors config asks: one X screen spanning every monitor, each monitor a
 * CRTC region driven by one output (output i shows monitor i).
 *
 * Uses its own X connection with synchronous requests, on the main loop. The
 * screen change itself reaches the capture through RandR events. */
#pragma once

#define RESIZE_X11_MAX_OUTPUTS 16

struct resize_x11;

struct resize_rect {
    int x, y, width, height;
};

/* Returns NULL and sets *ret_error (new string) when @display (NULL: $DISPLAY)
 * cannot be opened or has no RandR 1.2. */
struct resize_x11 *resize_x11_create(const char *display, char **ret_error);
void resize_x11_destroy(struct resize_x11 *r);

/* Makes the screen the bounding box of @rects (shifted so it starts at 0,0)
 * and shows rect i on output i; outputs past @n are switched off. Modes are
 * created when missing. Returns 0, or -errno and sets *ret_error. */
int resize_x11_apply(struct resize_x11 *r, const struct resize_rect *rects, int n,
                     char **ret_error);

/* The active outputs' regions in output order; at most @max. Returns 0 or
 * -errno. */
int resize_x11_get_layout(struct resize_x11 *r, struct resize_rect *ret_rects, int max,
                          int *ret_n);
