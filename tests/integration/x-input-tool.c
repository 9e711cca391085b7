/* A small X client for input tests.
 *
 *   x-input-tool record [X Y W H]
 *       Maps a window (default: the whole screen), gives it the keyboard
 *       focus, prints "ready", then one line per event, flushed:
 *         key-press KEYCODE / key-release KEYCODE
 *         button-press BUTTON X Y / button-release BUTTON X Y
 *   x-input-tool keys [press|release|tap] KEYCODE ...
 *       Presses physical keys with XTEST keycodes (no keysym lookup, so the
 *       server's layout decides the characters), then waits until the
 *       server has processed them.
 *   x-input-tool leds
 *       Prints the core keyboard LED mask as a decimal number.
 * The display comes from $DISPLAY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>
#include <xcb/xtest.h>

static xcb_connection_t *conn;
static xcb_screen_t *screen;

static int record(int argc, char **argv)
{
    int x = 0, y = 0, w = screen->width_in_pixels, h = screen->height_in_pixels;
    if (argc == 4) {
        x = atoi(argv[0]);
        y = atoi(argv[1]);
        w = atoi(argv[2]);
        h = atoi(argv[3]);
    }
    xcb_window_t win = xcb_generate_id(conn);
    uint32_t values[] = {screen->white_pixel, 1,
                         XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
                             XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE |
                             XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_create_window(conn, XCB_COPY_FROM_PARENT, win, screen->root, x, y, w, h, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
                      XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
    xcb_map_window(conn, win);
    xcb_flush(conn);
    xcb_generic_event_t *ev;
    while ((ev = xcb_wait_for_event(conn))) {
        uint8_t type = ev->response_type & 0x7f;
        switch (type) {
        case XCB_MAP_NOTIFY:
            xcb_set_input_focus(conn, XCB_INPUT_FOCUS_POINTER_ROOT, win, XCB_CURRENT_TIME);
            free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
            printf("ready\n");
            break;
        case XCB_KEY_PRESS:
        case XCB_KEY_RELEASE: {
            xcb_key_press_event_t *k = (xcb_key_press_event_t *)ev;
            printf("%s %u\n", type == XCB_KEY_PRESS ? "key-press" : "key-release", k->detail);
            break;
        }
        case XCB_BUTTON_PRESS:
        case XCB_BUTTON_RELEASE: {
            xcb_button_press_event_t *b = (xcb_button_press_event_t *)ev;
            printf("%s %u %d %d\n", type == XCB_BUTTON_PRESS ? "button-press" : "button-release",
                   b->detail, b->root_x, b->root_y);
            break;
        }
        default:
            break;
        }
        fflush(stdout);
        free(ev);
    }
    return 0;
}

static int keys(int argc, char **argv)
{
    const char *mode = "tap";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "press") || !strcmp(argv[i], "release") || !strcmp(argv[i], "tap")) {
            mode = argv[i];
            continue;
        }
        int code = atoi(argv[i]);
        if (code < 8 || code > 255) {
            fprintf(stderr, "x-input-tool: bad keycode %s\n", argv[i]);
            return 2;
        }
        if (strcmp(mode, "release"))
            xcb_test_fake_input(conn, XCB_KEY_PRESS, code, XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
        if (strcmp(mode, "press"))
            xcb_test_fake_input(conn, XCB_KEY_RELEASE, code, XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
        /* One round trip per key: the server has handled it before the next. */
        free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
    }
    return 0;
}

static int leds(void)
{
    xcb_get_keyboard_control_reply_t *r =
        xcb_get_keyboard_control_reply(conn, xcb_get_keyboard_control(conn), NULL);
    if (!r)
        return 1;
    printf("%u\n", r->led_mask);
    free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: x-input-tool record|keys|leds ...\n");
        return 2;
    }
    conn = xcb_connect(NULL, NULL);
    if (xcb_connection_has_error(conn)) {
        fprintf(stderr, "x-input-tool: cannot connect to X\n");
        return 1;
    }
    screen = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
    int rc;
    if (!strcmp(argv[1], "record"))
        rc = record(argc - 2, argv + 2);
    else if (!strcmp(argv[1], "keys"))
        rc = keys(argc - 2, argv + 2);
    else if (!strcmp(argv[1], "leds"))
        rc = leds();
    else
        rc = 2;
    xcb_disconnect(conn);
    return rc;
}
