#include "agent/client-link.h"

#include <glib.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

struct conn {
    int fd;
    dev_t dev;
    ino_t ino;
};

static GArray *conns; /* struct conn */

static bool same_file(const struct conn *c)
{
    struct stat st;
    return fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev &&
           st.st_ino == c->ino;
}

void client_link_add(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    if (!conns)
        conns = g_array_new(FALSE, FALSE, sizeof(struct conn));
    for (guint i = 0; i < conns->len; i++)
        if (g_array_index(conns, struct conn, i).fd == fd)
            g_array_remove_index_fast(conns, i--); /* closed, number reused */
    struct conn c = {fd, st.st_dev, st.st_ino};
    g_array_append_val(conns, c);
}

bool client_link_sample(size_t *ret_unsent, uint64_t *ret_acked)
{
    size_t unsent = 0;
    uint64_t acked = 0;
    guint live = 0;
    for (guint i = 0; conns && i < conns->len; i++) {
        struct conn *c = &g_array_index(conns, struct conn, i);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (!same_file(c) || getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
            len < offsetof(struct tcp_info, tcpi_notsent_bytes) + sizeof(ti.tcpi_notsent_bytes)) {
            g_array_remove_index_fast(conns, i--);
            continue;
        }
        /* Sent but not acknowledged waits in a queue too (a router's, a
         * shaper's): count it with what was not sent yet. */
        unsent += ti.tcpi_notsent_bytes + (size_t)ti.tcpi_unacked * ti.tcpi_snd_mss;
        acked += ti.tcpi_bytes_acked;
        live++;
    }
    *ret_unsent = unsent;
    *ret_acked = acked;
    return live > 0;
}

void client_link_clear(void)
{
    g_clear_pointer(&conns, g_array_unref);
}
