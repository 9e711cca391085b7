/* client-link on real loopback TCP connections: unsent bytes while the peer
 * does not read, acknowledged bytes once it does, closed descriptors
 * forgotten. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/client-link.h"

/* A connected pair: *ret_server is the accepted end (what the agent hands
 * to spice-server), *ret_client the peer. */
static void tcp_pair(int *ret_server, int *ret_client)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(l, >=, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    g_assert_cmpint(bind(l, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(l, 1), ==, 0);
    g_assert_cmpint(getsockname(l, (struct sockaddr *)&a, &len), ==, 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    g_assert_cmpint(connect(c, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    int s = accept(l, NULL, NULL);
    g_assert_cmpint(s, >=, 0);
    close(l);
    fcntl(s, F_SETFL, O_NONBLOCK);
    *ret_server = s;
    *ret_client = c;
}

static void test_unsent_and_acked(void)
{
    size_t unsent;
    uint64_t acked;
    g_assert_false(client_link_sample(&unsent, &acked)); /* nothing known */

    int s, c;
    tcp_pair(&s, &c);
    client_link_add(s);
    client_link_add(-1);         /* not a descriptor: ignored */
    int devnull = open("/dev/null", O_RDONLY);
    client_link_add(devnull); /* not a socket: ignored */
    close(devnull);
    g_assert_true(client_link_sample(&unsent, &acked));
    g_assert_cmpuint(unsent, ==, 0);

    /* The peer does not read: the send queue fills up. */
    static char buf[65536];
    size_t written = 0;
    for (int i = 0; i < 200; i++) {
        ssize_t n = write(s, buf, sizeof(buf));
        if (n < 0) {
            g_assert_cmpint(errno, ==, EAGAIN);
            break;
        }
        written += (size_t)n;
    }
    g_usleep(50 * 1000);
    g_assert_true(client_link_sample(&unsent, &acked));
    g_test_message("written %zu, unsent %zu, acked %" G_GUINT64_FORMAT, written, unsent, acked);
    g_assert_cmpuint(unsent, >, 0);
    g_assert_cmpuint(acked, <, written);

    /* The peer reads everything: all of it is acknowledged. */
    size_t got = 0;
    while (got < written) {
        ssize_t n = read(c, buf, sizeof(buf));
        g_assert_cmpint(n, >, 0);
        got += (size_t)n;
    }
    g_usleep(50 * 1000);
    g_assert_true(client_link_sample(&unsent, &acked));
    g_assert_cmpuint(unsent, ==, 0);
    g_assert_cmpuint(acked, >=, written);

    /* spice-server closes it; the number may be reused by another file. */
    close(s);
    int reuse = open("/dev/null", O_RDONLY);
    g_assert_false(client_link_sample(&unsent, &acked));
    close(reuse);
    close(c);
    client_link_clear();
    g_assert_false(client_link_sample(&unsent, &acked));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-link/unsent-and-acked", test_unsent_and_acked);
    return g_test_run();
}
