/* x-workload: draws a benchmark workload on an X display as fast as asked.
 *
 *   x-workload MODE FPS SECONDS      MODE: full | scroll | marker | keys | key | drag
 *
 * full: every pixel of the root-sized window changes every frame.
 * scroll: the window's content moves up by 16 rows (CopyArea) and a new strip
 * is drawn at the bottom, like a terminal scrolling.
 * marker: like full, plus two 64x64 grey blocks at the top left whose levels
 * encode the frame number (n % 16 and n / 16 % 16, level = digit * 16 + 8:
 * readable after lossy coding); prints "n time" (CLOCK_MONOTONIC seconds)
 * once each frame is drawn, for glass-to-glass measurements.
 * keys: a video-like picture (ramps moving 4 and 2 pixels a frame, a
 * moderate texture) and a 64x64 grey block at the top left whose level
 * counts the key presses the window received (count % 16 * 16 + 8), redrawn
 * as soon as a key arrives: for key-to-pixel latency.
 * key: a still black window with the input focus; each key press flips a
 * 64x64 block at the top left between black and white (key-to-pixel latency;
 * FPS is ignored); prints "key time" for each press.
 * drag: a patterned 320x240 window moves over a patterned root by (8, 4)
 * pixels a frame, bouncing at the edges, like a window dragged by its title
 * bar (the server copies its bits and repaints the uncovered root).
 * Prints the frames it drew. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/select.h>
#include <time.h>
#include <xcb/xcb.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint32_t *px, int w, int h, unsigned n)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[y * w + x] = ((x + n * 7) & 0xff) << 16 | ((y + n * 3) & 0xff) << 8 |
                            ((x ^ y ^ n) & 0xff);
}

static void fill_video(uint32_t *px, int w, int h, unsigned n)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[y * w + x] = ((x + n * 4) & 0xff) << 16 | ((y + n * 2) & 0xff) << 8 |
                            ((((x * 3 + n * 5) ^ (y * 2)) & 0x3f) + 96);
}

static void draw_key_block(xcb_connection_t *c, xcb_window_t win, xcb_gcontext_t gc,
                           unsigned keys)
{
    static uint32_t block[64 * 64];
    uint32_t v = keys % 16 * 16 + 8;
    for (int i = 0; i < 64 * 64; i++)
        block[i] = v << 16 | v << 8 | v;
    xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, 64, 64, 0, 0, 0, 24, sizeof(block),
                  (uint8_t *)block);
}

/* Counts key presses; redraws the block at once when one came. */
static void take_keys(xcb_connection_t *c, xcb_window_t win, xcb_gcontext_t gc, unsigned *keys)
{
    xcb_generic_event_t *ev;
    bool got = false;
    while ((ev = xcb_poll_for_event(c))) {
        if ((ev->response_type & 0x7f) == XCB_KEY_PRESS) {
            (*keys)++;
            got = true;
        }
        free(ev);
    }
    if (got) {
        draw_key_block(c, win, gc, *keys);
        xcb_flush(c);
    }
}

static void sleep_until(double t)
{
    double d = t - now();
    if (d > 0) {
        struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int key_mode(xcb_connection_t *c, xcb_screen_t *s, xcb_window_t win, xcb_gcontext_t gc,
                    double seconds)
{
    uint32_t mask = XCB_EVENT_MASK_KEY_PRESS;
    xcb_change_window_attributes(c, win, XCB_CW_EVENT_MASK, &mask);
    free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
    xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT, win, XCB_CURRENT_TIME);
    xcb_flush(c);
    double start = now();
    unsigned presses = 0;
    int fd = xcb_get_file_descriptor(c);
    while (now() - start < seconds) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        struct timeval tv = {0, 100000};
        xcb_generic_event_t *ev = xcb_poll_for_event(c);
        if (!ev) {
            select(fd + 1, &rd, NULL, NULL, &tv);
            ev = xcb_poll_for_event(c);
        }
        if (!ev) {
            if (xcb_connection_has_error(c))
                return 1;
            continue;
        }
        if ((ev->response_type & 0x7f) == XCB_KEY_PRESS) {
            presses++;
            uint32_t fg = presses % 2 ? s->white_pixel : s->black_pixel;
            xcb_change_gc(c, gc, XCB_GC_FOREGROUND, &fg);
            xcb_rectangle_t r = {0, 0, 64, 64};
            xcb_poly_fill_rectangle(c, win, gc, 1, &r);
            free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
            printf("key %u %.6f\n", presses, now());
            fflush(stdout);
        }
        free(ev);
    }
    printf("%u\n", presses);
    return 0;
}

/* A pixmap of @w x @h with a fine pattern (hard to compress, easy to copy). */
static xcb_pixmap_t pattern(xcb_connection_t *c, xcb_screen_t *s, int w, int h, unsigned seed)
{
    xcb_pixmap_t pm = xcb_generate_id(c);
    xcb_create_pixmap(c, s->root_depth, pm, s->root, w, h);
    xcb_gcontext_t gc = xcb_generate_id(c);
    xcb_create_gc(c, gc, pm, 0, NULL);
    uint32_t *px = malloc((size_t)w * h * 4);
    fill(px, w, h, seed);
    int rows_per_put = 65536 * 4 / (w * 4);
    for (int y = 0; y < h; y += rows_per_put) {
        int rows = y + rows_per_put > h ? h - y : rows_per_put;
        xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, pm, gc, w, rows, 0, y, 0, 24,
                      (uint32_t)w * rows * 4, (uint8_t *)(px + (size_t)y * w));
    }
    free(px);
    xcb_free_gc(c, gc);
    return pm;
}

static int drag_mode(xcb_connection_t *c, xcb_screen_t *s, xcb_window_t bg, double fps,
                     double seconds)
{
    int w = s->width_in_pixels, h = s->height_in_pixels, ww = 320, wh = 240;
    xcb_pixmap_t back = pattern(c, s, w, h, 5), front = pattern(c, s, ww, wh, 77);
    xcb_change_window_attributes(c, bg, XCB_CW_BACK_PIXMAP, &back);
    xcb_clear_area(c, 0, bg, 0, 0, 0, 0);
    xcb_window_t win = xcb_generate_id(c);
    uint32_t vals[] = {front, 1};
    /* A top-level window, as a dragged application window is. */
    xcb_create_window(c, XCB_COPY_FROM_PARENT, win, s->root, 0, 0, ww, wh, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, s->root_visual,
                      XCB_CW_BACK_PIXMAP | XCB_CW_OVERRIDE_REDIRECT, vals);
    xcb_map_window(c, win);
    free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
    int x = 0, y = 0, dx = 8, dy = 4;
    unsigned n = 0;
    double start = now(), next = start;
    while (now() - start < seconds) {
        if (x + dx < 0 || x + dx + ww > w)
            dx = -dx;
        if (y + dy < 0 || y + dy + wh > h)
            dy = -dy;
        x += dx;
        y += dy;
        uint32_t pos[] = {(uint32_t)x, (uint32_t)y};
        xcb_configure_window(c, win, XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y, pos);
        free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
        n++;
        if (fps > 0) {
            next += 1.0 / fps;
            sleep_until(next);
        }
    }
    printf("%u\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: x-workload full|scroll|marker|keys|key|drag FPS SECONDS\n");
        return 2;
    }
    const char *mode = argv[1];
    double fps = atof(argv[2]), seconds = atof(argv[3]);
    xcb_connection_t *c = xcb_connect(NULL, NULL);
    if (xcb_connection_has_error(c)) {
        fprintf(stderr, "x-workload: cannot open display\n");
        return 1;
    }
    xcb_screen_t *s = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    int w = s->width_in_pixels, h = s->height_in_pixels;
    xcb_window_t win = xcb_generate_id(c);
    bool keys_mode = strcmp(mode, "keys") == 0;
    uint32_t vals[] = {s->black_pixel, 1, XCB_EVENT_MASK_KEY_PRESS};
    xcb_create_window(c, XCB_COPY_FROM_PARENT, win, s->root, 0, 0, w, h, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, s->root_visual,
                      XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, vals);
    xcb_map_window(c, win);
    if (keys_mode) {
        free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL)); /* mapped */
        xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT, win, XCB_CURRENT_TIME);
    }
    unsigned keys = 0;
    xcb_gcontext_t gc = xcb_generate_id(c);
    xcb_create_gc(c, gc, win, 0, NULL);

    if (strcmp(mode, "key") == 0)
        return key_mode(c, s, win, gc, seconds);
    if (strcmp(mode, "drag") == 0)
        return drag_mode(c, s, win, fps, seconds);

    int strip = 16;
    int rows_per_put = 65536 * 4 / (w * 4); /* keep requests under the size limit */
    uint32_t *px = malloc((size_t)w * h * 4);
    double start = now(), next = start;
    unsigned n = 0;
    while (now() - start < seconds) {
        if (strcmp(mode, "full") == 0 || strcmp(mode, "marker") == 0) {
            fill(px, w, h, n);
            if (strcmp(mode, "marker") == 0)
                for (int y = 0; y < 64 && y < h; y++)
                    for (int x = 0; x < 128 && x < w; x++) {
                        unsigned digit = x < 64 ? n % 16 : n / 16 % 16;
                        uint32_t v = digit * 16 + 8;
                        px[y * w + x] = v << 16 | v << 8 | v;
                    }
            for (int y = 0; y < h; y += rows_per_put) {
                int rows = y + rows_per_put > h ? h - y : rows_per_put;
                xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, w, rows, 0, y, 0, 24,
                              (uint32_t)w * rows * 4, (uint8_t *)(px + (size_t)y * w));
            }
        } else if (keys_mode) {
            fill_video(px, w, h, n);
            for (int y = 0; y < h; y += rows_per_put) {
                int rows = y + rows_per_put > h ? h - y : rows_per_put;
                xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, w, rows, 0, y, 0, 24,
                              (uint32_t)w * rows * 4, (uint8_t *)(px + (size_t)y * w));
            }
            take_keys(c, win, gc, &keys);
            draw_key_block(c, win, gc, keys);
        } else {
            xcb_copy_area(c, win, win, gc, 0, strip, 0, 0, w, h - strip);
            fill(px, w, strip, n);
            xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, w, strip, 0, h - strip, 0, 24,
                          (uint32_t)w * strip * 4, (uint8_t *)px);
        }
        /* Wait for the server to have drawn it before the next frame. */
        free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
        if (strcmp(mode, "marker") == 0) {
            printf("%u %.6f\n", n, now());
            fflush(stdout);
        }
        n++;
        if (fps > 0) {
            next += 1.0 / fps;
            double d = next - now();
            while (keys_mode && d > 0) {
                /* wake for keys while waiting for the next frame */
                struct pollfd pfd = {xcb_get_file_descriptor(c), POLLIN, 0};
                poll(&pfd, 1, (int)(d * 1000) + 1);
                take_keys(c, win, gc, &keys);
                d = next - now();
            }
            if (d > 0) {
                struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    printf("%u\n", n);
    free(px);
    xcb_disconnect(c);
    return 0;
}
