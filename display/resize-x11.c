#include "display/resize-x11.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/randr.h>
#include <xcb/xcb.h>

struct resize_x11 {
    xcb_connection_t *conn;
    xcb_window_t root;
};

/* What one CRTC should show. */
struct plan {
    xcb_randr_output_t output;
    xcb_randr_crtc_t crtc;
    xcb_randr_mode_t mode;
    struct resize_rect rect;
};

struct resize_x11 *resize_x11_create(const char *display, char **ret_error)
{
    int screen_num = 0;
    xcb_connection_t *conn = xcb_connect(display, &screen_num);
    if (xcb_connection_has_error(conn)) {
        xcb_disconnect(conn);
        *ret_error = g_strdup_printf("cannot open X display %s for resizing",
                                     display ? display : g_getenv("DISPLAY"));
        return NULL;
    }
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(conn, &xcb_randr_id);
    xcb_randr_query_version_reply_t *ver =
        ext && ext->present
            ? xcb_randr_query_version_reply(conn, xcb_randr_query_version(conn, 1, 5), NULL)
            : NULL;
    if (!ver || (ver->major_version == 1 && ver->minor_version < 2)) {
        free(ver);
        xcb_disconnect(conn);
        *ret_error = g_strdup("the X server has no RandR 1.2: the desktop cannot follow the client's window size (use --resize=off to silence this)");
        return NULL;
    }
    free(ver);
    struct resize_x11 *r = g_new0(struct resize_x11, 1);
    r->conn = conn;
    xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(conn));
    for (int i = 0; i < screen_num && it.rem; i++)
        xcb_screen_next(&it);
    r->root = it.data->root;
    return r;
}

void resize_x11_destroy(struct resize_x11 *r)
{
    if (!r)
        return;
    xcb_disconnect(r->conn);
    g_free(r);
}

static xcb_randr_get_screen_resources_current_reply_t *get_resources(struct resize_x11 *r)
{
    return xcb_randr_get_screen_resources_current_reply(
        r->conn, xcb_randr_get_screen_resources_current(r->conn, r->root), NULL);
}

int resize_x11_get_layout(struct resize_x11 *r, struct resize_rect *ret_rects, int max,
                          int *ret_n)
{
    xcb_randr_get_screen_resources_current_reply_t *res = get_resources(r);
    if (!res)
        return -EIO;
    xcb_randr_output_t *outputs = xcb_randr_get_screen_resources_current_outputs(res);
    int n_out = xcb_randr_get_screen_resources_current_outputs_length(res), n = 0;
    for (int i = 0; i < n_out && n < max; i++) {
        xcb_randr_get_output_info_reply_t *oi = xcb_randr_get_output_info_reply(
            r->conn, xcb_randr_get_output_info(r->conn, outputs[i], res->config_timestamp),
            NULL);
        if (oi && oi->crtc) {
            xcb_randr_get_crtc_info_reply_t *ci = xcb_randr_get_crtc_info_reply(
                r->conn, xcb_randr_get_crtc_info(r->conn, oi->crtc, res->config_timestamp),
                NULL);
            if (ci && ci->mode)
                ret_rects[n++] = (struct resize_rect){ci->x, ci->y, ci->width, ci->height};
            free(ci);
        }
        free(oi);
    }
    free(res);
    *ret_n = n;
    return 0;
}

/* Finds a mode of exactly w x h, or creates one. Returns 0 on failure. */
static xcb_randr_mode_t find_or_create_mode(struct resize_x11 *r,
                                            xcb_randr_get_screen_resources_current_reply_t *res,
                                            int w, int h)
{
    xcb_randr_mode_info_t *modes = xcb_randr_get_screen_resources_current_modes(res);
    int n = xcb_randr_get_screen_resources_current_modes_length(res);
    for (int i = 0; i < n; i++)
        if (modes[i].width == w && modes[i].height == h && !(modes[i].mode_flags &
                                                             XCB_RANDR_MODE_FLAG_INTERLACE))
            return modes[i].id;
    char name[48];
    g_snprintf(name, sizeof(name), "thindesk-%dx%d", w, h);
    /* Blanking as in reduced-blanking CVT; only the size matters to us. */
    xcb_randr_mode_info_t info = {
        .width = w, .height = h,
        .hsync_start = w + 48, .hsync_end = w + 80, .htotal = w + 160,
        .vsync_start = h + 3, .vsync_end = h + 8, .vtotal = h + 30,
        .name_len = (uint16_t)strlen(name),
    };
    info.dot_clock = (uint32_t)info.htotal * info.vtotal * 60;
    xcb_randr_create_mode_reply_t *cm = xcb_randr_create_mode_reply(
        r->conn, xcb_randr_create_mode(r->conn, r->root, info, info.name_len, name), NULL);
    xcb_randr_mode_t id = cm ? cm->mode : 0;
    free(cm);
    g_debug("created RandR mode %s: %u", name, id);
    return id;
}

static bool output_has_mode(xcb_randr_get_output_info_reply_t *oi, xcb_randr_mode_t mode)
{
    xcb_randr_mode_t *m = xcb_randr_get_output_info_modes(oi);
    int n = xcb_randr_get_output_info_modes_length(oi);
    for (int i = 0; i < n; i++)
        if (m[i] == mode)
            return true;
    return false;
}

static bool crtc_taken(const struct plan *plans, int n, xcb_randr_crtc_t crtc)
{
    for (int i = 0; i < n; i++)
        if (plans[i].crtc == crtc)
            return true;
    return false;
}

static int set_crtc(struct resize_x11 *r, xcb_timestamp_t config_ts, xcb_randr_crtc_t crtc,
                    int x, int y, xcb_randr_mode_t mode, const xcb_randr_output_t *out)
{
    xcb_randr_set_crtc_config_reply_t *rep = xcb_randr_set_crtc_config_reply(
        r->conn,
        xcb_randr_set_crtc_config(r->conn, crtc, XCB_CURRENT_TIME, config_ts, (int16_t)x,
                                  (int16_t)y, mode, XCB_RANDR_ROTATION_ROTATE_0, out ? 1 : 0,
                                  out),
        NULL);
    int status = rep ? rep->status : -1;
    free(rep);
    return status == XCB_RANDR_SET_CONFIG_SUCCESS ? 0 : -EIO;
}

/* Output i gets a CRTC it already drives, or a free one it can use. */
static int plan_outputs(struct resize_x11 *r, xcb_randr_get_screen_resources_current_reply_t *res,
                        const struct resize_rect *rects, int n, struct plan *plans,
                        char **ret_error)
{
    xcb_randr_output_t *outputs = xcb_randr_get_screen_resources_current_outputs(res);
    int n_out = xcb_randr_get_screen_resources_current_outputs_length(res);
    if (n > n_out) {
        *ret_error = g_strdup_printf("the client asked for %d monitors but the X server has only %d outputs", n, n_out);
        return -ENOSPC;
    }
    memset(plans, 0, sizeof(*plans) * n);
    for (int i = 0; i < n; i++) {
        plans[i].output = outputs[i];
        plans[i].rect = rects[i];
    }
    /* first keep the CRTCs outputs already drive, then hand out free ones */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            if (plans[i].crtc)
                continue;
            xcb_randr_get_output_info_reply_t *oi = xcb_randr_get_output_info_reply(
                r->conn, xcb_randr_get_output_info(r->conn, outputs[i], res->config_timestamp),
                NULL);
            if (!oi)
                return -EIO;
            if (pass == 0 && oi->crtc && !crtc_taken(plans, n, oi->crtc)) {
                plans[i].crtc = oi->crtc;
            } else if (pass == 1) {
                xcb_randr_crtc_t *c = xcb_randr_get_output_info_crtcs(oi);
                int nc = xcb_randr_get_output_info_crtcs_length(oi);
                for (int k = 0; k < nc && !plans[i].crtc; k++)
                    if (!crtc_taken(plans, n, c[k]))
                        plans[i].crtc = c[k];
            }
            if (pass == 1 && !plans[i].crtc) {
                free(oi);
                *ret_error = g_strdup_printf("no free CRTC for output %d", i);
                return -ENOSPC;
            }
            if (pass == 1 || plans[i].crtc) {
                plans[i].mode = find_or_create_mode(r, res, rects[i].width, rects[i].height);
                if (!plans[i].mode) {
                    free(oi);
                    *ret_error = g_strdup_printf("the X server refused a %dx%d mode",
                                                 rects[i].width, rects[i].height);
                    return -EINVAL;
                }
                if (!output_has_mode(oi, plans[i].mode))
                    xcb_randr_add_output_mode(r->conn, outputs[i], plans[i].mode);
            }
            free(oi);
        }
    }
    return 0;
}

static bool same_layout(struct resize_x11 *r, const struct resize_rect *rects, int n, int w,
                        int h)
{
    struct resize_rect cur[RESIZE_X11_MAX_OUTPUTS];
    int n_cur = 0;
    if (resize_x11_get_layout(r, cur, RESIZE_X11_MAX_OUTPUTS, &n_cur) < 0 || n_cur != n)
        return false;
    xcb_get_geometry_reply_t *geo =
        xcb_get_geometry_reply(r->conn, xcb_get_geometry(r->conn, r->root), NULL);
    bool same = geo && geo->width == w && geo->height == h;
    free(geo);
    return same && memcmp(cur, rects, sizeof(*rects) * n) == 0;
}

int resize_x11_apply(struct resize_x11 *r, const struct resize_rect *in, int n, char **ret_error)
{
    if (n < 1 || n > RESIZE_X11_MAX_OUTPUTS) {
        *ret_error = g_strdup_printf("cannot lay out %d monitors", n);
        return -EINVAL;
    }
    struct resize_rect rects[RESIZE_X11_MAX_OUTPUTS];
    int min_x = in[0].x, min_y = in[0].y, w = 0, h = 0;
    for (int i = 1; i < n; i++) {
        min_x = MIN(min_x, in[i].x);
        min_y = MIN(min_y, in[i].y);
    }
    for (int i = 0; i < n; i++) {
        rects[i] = in[i];
        rects[i].x -= min_x;
        rects[i].y -= min_y;
        w = MAX(w, rects[i].x + rects[i].width);
        h = MAX(h, rects[i].y + rects[i].height);
    }
    if (same_layout(r, rects, n, w, h))
        return 0;

    xcb_randr_get_screen_size_range_reply_t *range = xcb_randr_get_screen_size_range_reply(
        r->conn, xcb_randr_get_screen_size_range(r->conn, r->root), NULL);
    if (!range)
        goto err_io;
    bool fits = w >= range->min_width && h >= range->min_height && w <= range->max_width &&
                h <= range->max_height;
    if (!fits) {
        *ret_error = g_strdup_printf("%dx%d is outside the X server's screen sizes %ux%u to %ux%u", w, h, range->min_width, range->min_height,
                                     range->max_width, range->max_height);
        free(range);
        return -ERANGE;
    }
    free(range);

    xcb_randr_get_screen_resources_current_reply_t *res = get_resources(r);
    if (!res)
        goto err_io;
    struct plan plans[RESIZE_X11_MAX_OUTPUTS];
    int rc = plan_outputs(r, res, rects, n, plans, ret_error);
    if (rc < 0) {
        free(res);
        if (rc == -EIO)
            goto err_io;
        return rc;
    }

    xcb_grab_server(r->conn);
    /* Switch off CRTCs we do not use and those that would not fit the new
     * screen: RandR refuses a screen size smaller than an active CRTC. */
    xcb_randr_crtc_t *crtcs = xcb_randr_get_screen_resources_current_crtcs(res);
    int n_crtcs = xcb_randr_get_screen_resources_current_crtcs_length(res);
    for (int i = 0; i < n_crtcs; i++) {
        xcb_randr_get_crtc_info_reply_t *ci = xcb_randr_get_crtc_info_reply(
            r->conn, xcb_randr_get_crtc_info(r->conn, crtcs[i], res->config_timestamp), NULL);
        bool off = ci && ci->mode &&
                   (!crtc_taken(plans, n, crtcs[i]) || ci->x + ci->width > w ||
                    ci->y + ci->height > h);
        free(ci);
        if (off && set_crtc(r, res->config_timestamp, crtcs[i], 0, 0, XCB_NONE, NULL) < 0)
            g_debug("could not switch off CRTC %u", crtcs[i]);
    }
    int mm_w = (int)(w * 25.4 / 96 + 0.5), mm_h = (int)(h * 25.4 / 96 + 0.5);
    xcb_void_cookie_t ck =
        xcb_randr_set_screen_size_checked(r->conn, r->root, (uint16_t)w, (uint16_t)h, mm_w, mm_h);
    xcb_generic_error_t *err = xcb_request_check(r->conn, ck);
    if (err) {
        free(err);
        xcb_ungrab_server(r->conn);
        free(res);
        *ret_error = g_strdup_printf("the X server refused the screen size %dx%d", w, h);
        return -EIO;
    }
    for (int i = 0; i < n; i++) {
        if (set_crtc(r, res->config_timestamp, plans[i].crtc, plans[i].rect.x, plans[i].rect.y,
                     plans[i].mode, &plans[i].output) < 0) {
            xcb_ungrab_server(r->conn);
            free(res);
            *ret_error = g_strdup_printf("the X server refused %dx%d+%d+%d on output %d",
                                         plans[i].rect.width, plans[i].rect.height,
                                         plans[i].rect.x, plans[i].rect.y, i);
            return -EIO;
        }
    }
    xcb_randr_set_output_primary(r->conn, r->root, plans[0].output);
    xcb_ungrab_server(r->conn);
    xcb_flush(r->conn);
    free(res);
    return 0;

err_io:
    *ret_error = g_strdup("the X server did not answer a RandR request");
    return -EIO;
}
