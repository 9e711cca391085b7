#include "display/windows-x11.h"

#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>

struct tracked {
    struct damage_rect now;      /* outer geometry, border included */
    struct damage_rect reported; /* as of the last take_moves */
    bool mapped;
};

struct windows_x11 {
    xcb_window_t root;
    GHashTable *windows; /* xcb_window_t -> struct tracked */
};

static struct damage_rect outer(int x, int y, int w, int h, int border)
{
    return (struct damage_rect){x, y, w + 2 * border, h + 2 * border};
}

static struct tracked *track(struct windows_x11 *ws, xcb_window_t win)
{
    struct tracked *t = g_hash_table_lookup(ws->windows, GUINT_TO_POINTER(win));
    if (!t) {
        t = g_new0(struct tracked, 1);
        g_hash_table_insert(ws->windows, GUINT_TO_POINTER(win), t);
    }
    return t;
}

struct windows_x11 *windows_x11_create(xcb_connection_t *conn, xcb_window_t root)
{
    struct windows_x11 *ws = g_new0(struct windows_x11, 1);
    ws->root = root;
    ws->windows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    xcb_query_tree_reply_t *tree = xcb_query_tree_reply(conn, xcb_query_tree(conn, root), NULL);
    if (!tree)
        return ws;
    int n = xcb_query_tree_children_length(tree);
    xcb_window_t *children = xcb_query_tree_children(tree);
    xcb_get_geometry_cookie_t *geo = g_new(xcb_get_geometry_cookie_t, n);
    xcb_get_window_attributes_cookie_t *attr = g_new(xcb_get_window_attributes_cookie_t, n);
    for (int i = 0; i < n; i++) {
        geo[i] = xcb_get_geometry(conn, children[i]);
        attr[i] = xcb_get_window_attributes(conn, children[i]);
    }
    for (int i = 0; i < n; i++) {
        xcb_get_geometry_reply_t *g = xcb_get_geometry_reply(conn, geo[i], NULL);
        xcb_get_window_attributes_reply_t *a =
            xcb_get_window_attributes_reply(conn, attr[i], NULL);
        if (g && a) {
            struct tracked *t = track(ws, children[i]);
            t->now = t->reported = outer(g->x, g->y, g->width, g->height, g->border_width);
            t->mapped = a->map_state == XCB_MAP_STATE_VIEWABLE;
        }
        free(g);
        free(a);
    }
    g_free(geo);
    g_free(attr);
    free(tree);
    return ws;
}

void windows_x11_destroy(struct windows_x11 *ws)
{
    if (!ws)
        return;
    g_hash_table_destroy(ws->windows);
    g_free(ws);
}

void windows_x11_handle_event(struct windows_x11 *ws, const xcb_generic_event_t *ev)
{
    switch (ev->response_type & 0x7f) {
    case XCB_CONFIGURE_NOTIFY: {
        const xcb_configure_notify_event_t *e = (const xcb_configure_notify_event_t *)ev;
        if (e->event != ws->root || e->window == ws->root)
            return;
        struct tracked *t = track(ws, e->window);
        t->now = outer(e->x, e->y, e->width, e->height, e->border_width);
        break;
    }
    case XCB_MAP_NOTIFY: {
        const xcb_map_notify_event_t *e = (const xcb_map_notify_event_t *)ev;
        if (e->event != ws->root)
            return;
        struct tracked *t = track(ws, e->window);
        t->mapped = true;
        t->reported = t->now; /* a window that appears did not move */
        break;
    }
    case XCB_UNMAP_NOTIFY: {
        const xcb_unmap_notify_event_t *e = (const xcb_unmap_notify_event_t *)ev;
        if (e->event == ws->root)
            track(ws, e->window)->mapped = false;
        break;
    }
    case XCB_DESTROY_NOTIFY: {
        const xcb_destroy_notify_event_t *e = (const xcb_destroy_notify_event_t *)ev;
        if (e->event == ws->root)
            g_hash_table_remove(ws->windows, GUINT_TO_POINTER(e->window));
        break;
    }
    case XCB_CREATE_NOTIFY: {
        const xcb_create_notify_event_t *e = (const xcb_create_notify_event_t *)ev;
        if (e->parent != ws->root)
            return;
        struct tracked *t = track(ws, e->window);
        t->now = t->reported = outer(e->x, e->y, e->width, e->height, e->border_width);
        break;
    }
    default:
        break;
    }
}

int windows_x11_take_moves(struct windows_x11 *ws, struct copy_hint *ret_hints, int max)
{
    int count = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ws->windows);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct tracked *t = value;
        bool moved = t->now.x != t->reported.x || t->now.y != t->reported.y;
        bool same_size = t->now.w == t->reported.w && t->now.h == t->reported.h;
        if (t->mapped && moved && same_size && count < max)
            ret_hints[count++] = (struct copy_hint){t->reported, t->now};
        t->reported = t->now;
    }
    return count;
}
