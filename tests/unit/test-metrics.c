/* Metrics: the exposition text and the HTTP request parser (network bytes). */
#include <glib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/metrics.h"

static void collect(struct metrics_writer *w, void *data)
{
    struct metrics_histogram *h = data;
    metrics_write_counter(w, "test_things_total", "things", 42);
    metrics_write_gauge(w, "test_level", "a level", 0.5);
    metrics_write_header(w, "test_bytes_total", "counter", "bytes per channel");
    metrics_write_sample(w, "test_bytes_total", "channel=\"display\"", 1e12);
    metrics_write_histogram(w, "test_seconds", "durations", h);
}

static void test_render(void)
{
    static const double bounds[] = {0.001, 0.01, 0.1};
    struct metrics_histogram *h = metrics_histogram_new(bounds, 3);
    metrics_histogram_observe(h, 0.0005);
    metrics_histogram_observe(h, 0.001); /* le is inclusive */
    metrics_histogram_observe(h, 0.05);
    metrics_histogram_observe(h, 3);
    char *err = NULL;
    struct metrics *m = metrics_create("127.0.0.1", 0, &err);
    g_assert_nonnull(m);
    metrics_add_collector(m, collect, h);
    g_autofree char *text = metrics_render(m);
    const char *want[] = {
        "# HELP test_things_total things\n# TYPE test_things_total counter\ntest_things_total 42\n",
        "# TYPE test_level gauge\ntest_level 0.5\n",
        "test_bytes_total{channel=\"display\"} 1000000000000\n",
        "# TYPE test_seconds histogram\n"
        "test_seconds_bucket{le=\"0.001\"} 2\n"
        "test_seconds_bucket{le=\"0.01\"} 2\n"
        "test_seconds_bucket{le=\"0.1\"} 3\n"
        "test_seconds_bucket{le=\"+Inf\"} 4\n"
        "test_seconds_sum 3.0515\n"
        "test_seconds_count 4\n",
        "# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_resident_memory_bytes gauge\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        if (!strstr(text, want[i]))
            g_error("exposition lacks:\n%s\nin:\n%s", want[i], text);
    metrics_destroy(m);
    metrics_histogram_free(h);
    metrics_destroy(NULL);
    metrics_histogram_free(NULL);
}

static void expect(const char *req, enum metrics_http_result want, bool want_head)
{
    bool head = !want_head;
    enum metrics_http_result got = metrics_http_parse(req, strlen(req), &head);
    if (got != want)
        g_error("'%s': got %d, want %d", req, got, want);
    if (want == METRICS_HTTP_METRICS)
        g_assert_cmpint(head, ==, want_head);
}

static void test_http_parse(void)
{
    expect("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", METRICS_HTTP_METRICS, false);
    expect("GET /metrics?x=1 HTTP/1.0\r\n\r\n", METRICS_HTTP_METRICS, false);
    expect("HEAD /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_METRICS, true);
    expect("GET /metrics HTTP/1.1\n\n", METRICS_HTTP_METRICS, false);
    expect("GET / HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND, false);
    expect("GET /metricsx HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND, false);
    expect("POST /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD_METHOD, false);
    expect("GET /metrics\r\n\r\n", METRICS_HTTP_BAD, false);
    expect("GET /metrics SPDY/3\r\n\r\n", METRICS_HTTP_BAD, false);
    expect("GET  HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD, false);
    expect("\r\n\r\n", METRICS_HTTP_BAD, false);
    expect("GET /metrics HTTP/1.1 extra\r\n\r\n", METRICS_HTTP_BAD, false);
    /* Incomplete until the blank line. */
    expect("GET /metrics HTTP/1.1\r\nHost: x\r\n", METRICS_HTTP_INCOMPLETE, false);
    expect("", METRICS_HTTP_INCOMPLETE, false);
    /* A NUL in the request line. */
    const char nul[] = "GET /met\0rics HTTP/1.1\r\n\r\n";
    bool head;
    g_assert_cmpint(metrics_http_parse(nul, sizeof(nul) - 1, &head), ==, METRICS_HTTP_BAD);
    /* Endless headers: refused past the limit. */
    size_t n = METRICS_HTTP_MAX_REQUEST + 10;
    char *big = g_malloc(n);
    memset(big, 'a', n);
    g_assert_cmpint(metrics_http_parse(big, n, &head), ==, METRICS_HTTP_BAD);
    g_free(big);
}

static void test_port_in_use(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    char *err = NULL;
    g_assert_null(metrics_create("127.0.0.1", ntohs(sa.sin_port), &err));
    g_assert_nonnull(strstr(err, "--metrics="));
    g_free(err);
    close(fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/metrics/render", test_render);
    g_test_add_func("/metrics/http-parse", test_http_parse);
    g_test_add_func("/metrics/port-in-use", test_port_in_use);
    return g_test_run();
}
