#include "usb/usb-link.h"

#include <errno.h>
#include <stdbool.h>
#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

struct usb_link {
    int fd;
    struct usb_link_events events;
    void *user_data;
    GByteArray *out;
    guint in_src, out_src;
    bool closed;
};

static void link_closed(struct usb_link *l)
{
    if (l->closed)
        return;
    l->closed = true;
    if (l->in_src)
        g_source_remove(l->in_src);
    if (l->out_src)
        g_source_remove(l->out_src);
    l->in_src = l->out_src = 0;
    if (l->events.closed)
        l->events.closed(l->user_data); /* may destroy @l */
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void flush(struct usb_link *l)
{
    while (l->out->len) {
        ssize_t n = write(l->fd, l->out->data, l->out->len);
        if (n > 0) {
            g_byte_array_remove_range(l->out, 0, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!l->out_src)
                l->out_src = g_unix_fd_add(l->fd, G_IO_OUT, on_writable, l);
            return;
        }
        link_closed(l);
        return;
    }
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    struct usb_link *l = data;
    l->out_src = 0;
    flush(l);
    return G_SOURCE_REMOVE;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct usb_link *l = data;
    uint8_t buf[65536];
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(l->fd, buf, sizeof(buf));
        if (n > 0) {
            l->events.input(buf, n, l->user_data);
            if (l->closed)
                return G_SOURCE_REMOVE;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return G_SOURCE_CONTINUE;
        l->in_src = 0;
        link_closed(l);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

struct usb_link *usb_link_create(int fd, const struct usb_link_events *events, void *user_data)
{
    struct usb_link *l = g_new0(struct usb_link, 1);
    l->fd = fd;
    l->events = *events;
    l->user_data = user_data;
    l->out = g_byte_array_new();
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    l->in_src = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, l);
    return l;
}

void usb_link_destroy(struct usb_link *l)
{
    if (!l)
        return;
    if (l->in_src)
        g_source_remove(l->in_src);
    if (l->out_src)
        g_source_remove(l->out_src);
    close(l->fd);
    g_byte_array_unref(l->out);
    g_free(l);
}

void usb_link_send(struct usb_link *l, const uint8_t *data, size_t len)
{
    if (l->closed)
        return;
    g_byte_array_append(l->out, data, len);
    if (!l->out_src)
        flush(l);
}
