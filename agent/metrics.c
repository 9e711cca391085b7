#define _GNU_SOURCE /* accept4, struct ucred */
#include "agent/metrics.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/listen-socket.h"

struct collector {
    metrics_collect_fn fn;
    void *user_data;
};

struct scrape {
    struct metrics *metrics;
    int fd;
    guint watch;
    GByteArray *in;
    GString *out; /* the response, once known */
    size_t sent;
};

struct metrics {
    int fd;
    guint watch;
    GArray *collectors;
    GList *scrapes;
};

struct metrics_writer {
    GString *s;
};

struct metrics_histogram {
    size_t n;
    double *bounds;
    uint64_t *counts; /* per bucket, not cumulative; [n] is +Inf */
    double sum;
    uint64_t count;
};

/* --- writing the exposition --- */

static void write_value(GString *s, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (v == (double)(int64_t)v && v < 1e15 && v > -1e15)
        g_string_append_printf(s, "%" G_GINT64_FORMAT, (int64_t)v);
    else
        g_string_append(s, g_ascii_formatd(buf, sizeof(buf), "%.9g", v));
}

void metrics_write_header(struct metrics_writer *w, const char *name, const char *type,
                          const char *help)
{
    g_string_append_printf(w->s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_write_sample(struct metrics_writer *w, const char *name, const char *labels,
                          double value)
{
    g_string_append(w->s, name);
    if (labels && *labels)
        g_string_append_printf(w->s, "{%s}", labels);
    g_string_append_c(w->s, ' ');
    write_value(w->s, value);
    g_string_append_c(w->s, '\n');
}

void metrics_write_counter(struct metrics_writer *w, const char *name, const char *help,
                           double value)
{
    /* The family is named without _total in its TYPE line (OpenMetrics) but
     * the classic text format uses the sample name: keep the sample name. */
    metrics_write_header(w, name, "counter", help);
    metrics_write_sample(w, name, NULL, value);
}

void metrics_write_gauge(struct metrics_writer *w, const char *name, const char *help,
                         double value)
{
    metrics_write_header(w, name, "gauge", help);
    metrics_write_sample(w, name, NULL, value);
}

struct metrics_histogram *metrics_histogram_new(const double *bounds, size_t n)
{
    struct metrics_histogram *h = g_new0(struct metrics_histogram, 1);
    h->n = n;
    h->bounds = g_memdup2(bounds, n * sizeof(double));
    h->counts = g_new0(uint64_t, n + 1);
    return h;
}

void metrics_histogram_free(struct metrics_histogram *h)
{
    if (!h)
        return;
    g_free(h->bounds);
    g_free(h->counts);
    g_free(h);
}

void metrics_histogram_observe(struct metrics_histogram *h, double value)
{
    if (!h)
        return;
    size_t i = 0;
    while (i < h->n && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->sum += value;
    h->count++;
}

void metrics_write_histogram(struct metrics_writer *w, const char *name, const char *help,
                             const struct metrics_histogram *h)
{
    metrics_write_header(w, name, "histogram", help);
    g_autofree char *bucket = g_strconcat(name, "_bucket", NULL);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h->n; i++) {
        cumulative += h->counts[i];
        char le[G_ASCII_DTOSTR_BUF_SIZE];
        g_autofree char *labels = g_strdup_printf(
            "le=\"%s\"", i < h->n ? g_ascii_formatd(le, sizeof(le), "%g", h->bounds[i]) : "+Inf");
        metrics_write_sample(w, bucket, labels, (double)cumulative);
    }
    g_autofree char *sum = g_strconcat(name, "_sum", NULL);
    g_autofree char *count = g_strconcat(name, "_count", NULL);
    metrics_write_sample(w, sum, NULL, h->sum);
    metrics_write_sample(w, count, NULL, (double)h->count);
}

static void collect_process(struct metrics_writer *w)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                     ru.ru_stime.tv_usec / 1e6;
        metrics_write_counter(w, "process_cpu_seconds_total",
                              "user and system CPU time of the agent in seconds", cpu);
    }
    g_autofree char *statm = NULL;
    unsigned long pages_total, pages_resident;
    if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) &&
        sscanf(statm, "%lu %lu", &pages_total, &pages_resident) == 2) {
        double page = (double)sysconf(_SC_PAGESIZE);
        metrics_write_gauge(w, "process_resident_memory_bytes",
                            "resident memory size of the agent in bytes", pages_resident * page);
        metrics_write_gauge(w, "process_virtual_memory_bytes",
                            "virtual memory size of the agent in bytes", pages_total * page);
    }
}

char *metrics_render(struct metrics *m)
{
    struct metrics_writer w = {g_string_new(NULL)};
    for (guint i = 0; m && i < m->collectors->len; i++) {
        struct collector *c = &g_array_index(m->collectors, struct collector, i);
        c->fn(&w, c->user_data);
    }
    collect_process(&w);
    return g_string_free(w.s, FALSE);
}

/* --- HTTP --- */

enum metrics_http_result metrics_http_parse(const char *buf, size_t len, bool *ret_head)
{
    if (memchr(buf, '\0', len))
        return METRICS_HTTP_BAD;
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        end = memmem(buf, len, "\n\n", 2);
    if (!end)
        return len > METRICS_HTTP_MAX_REQUEST ? METRICS_HTTP_BAD : METRICS_HTTP_INCOMPLETE;
    const char *eol = memchr(buf, '\n', len);
    size_t line_len = (size_t)(eol - buf);
    if (line_len && buf[line_len - 1] == '\r')
        line_len--;
    g_autofree char *line = g_strndup(buf, line_len);
    g_auto(GStrv) parts = g_strsplit(line, " ", 4);
    if (g_strv_length(parts) != 3 || !g_str_has_prefix(parts[2], "HTTP/1.") || !parts[1][0])
        return METRICS_HTTP_BAD;
    bool head = strcmp(parts[0], "HEAD") == 0;
    if (!head && strcmp(parts[0], "GET") != 0)
        return METRICS_HTTP_BAD_METHOD;
    *ret_head = head;
    const char *query = strchr(parts[1], '?');
    size_t path_len = query ? (size_t)(query - parts[1]) : strlen(parts[1]);
    if ((path_len == 8 && strncmp(parts[1], "/metrics", 8) == 0) ||
        (path_len == 9 && strncmp(parts[1], "/metrics/", 9) == 0))
        return METRICS_HTTP_METRICS;
    return METRICS_HTTP_NOT_FOUND;
}

static void scrape_free(struct scrape *s)
{
    s->metrics->scrapes = g_list_remove(s->metrics->scrapes, s);
    if (s->watch)
        g_source_remove(s->watch);
    close(s->fd);
    g_byte_array_unref(s->in);
    if (s->out)
        g_string_free(s->out, TRUE);
    g_free(s);
}

static gboolean on_scrape_io(gint fd, GIOCondition cond, gpointer data);

static void respond(struct scrape *s, const char *status, const char *type, const char *body,
                    bool head)
{
    s->out = g_string_new(NULL);
    g_string_append_printf(s->out,
                           "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n\r\n",
                           status, type, strlen(body));
    if (!head)
        g_string_append(s->out, body);
    g_source_remove(s->watch);
    s->watch = g_unix_fd_add(s->fd, G_IO_OUT, on_scrape_io, s);
}

static gboolean on_scrape_io(gint fd, GIOCondition cond, gpointer data)
{
    struct scrape *s = data;
    if (s->out) {
        ssize_t n = send(fd, s->out->str + s->sent, s->out->len - s->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            s->sent += n;
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || s->sent == s->out->len) {
            s->watch = 0;
            scrape_free(s);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }
    guint8 buf[2048];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        s->watch = 0;
        scrape_free(s);
        return G_SOURCE_REMOVE;
    }
    if (n > 0)
        g_byte_array_append(s->in, buf, n);
    bool head = false;
    switch (metrics_http_parse((const char *)s->in->data, s->in->len, &head)) {
    case METRICS_HTTP_INCOMPLETE:
        return G_SOURCE_CONTINUE;
    case METRICS_HTTP_METRICS: {
        g_autofree char *body = metrics_render(s->metrics);
        respond(s, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, head);
        break;
    }
    case METRICS_HTTP_NOT_FOUND:
        respond(s, "404 Not Found", "text/plain", "only /metrics is here\n", head);
        break;
    case METRICS_HTTP_BAD_METHOD:
        respond(s, "405 Method Not Allowed", "text/plain", "use GET\n", false);
        break;
    case METRICS_HTTP_BAD:
        respond(s, "400 Bad Request", "text/plain", "bad request\n", false);
        break;
    }
    return G_SOURCE_REMOVE; /* respond() added the write watch */
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    struct metrics *m = data;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    if (g_list_length(m->scrapes) >= 16) {
        close(cfd); /* scrapers come one at a time; do not pile up */
        return G_SOURCE_CONTINUE;
    }
    struct scrape *s = g_new0(struct scrape, 1);
    s->metrics = m;
    s->fd = cfd;
    s->in = g_byte_array_new();
    s->watch = g_unix_fd_add(cfd, G_IO_IN, on_scrape_io, s);
    m->scrapes = g_list_prepend(m->scrapes, s);
    return G_SOURCE_CONTINUE;
}

struct metrics *metrics_create(const char *host, int port, char **ret_error)
{
    int err = 0;
    g_autofree char *why = NULL;
    int fd = listen_socket_open(host, port, true, &err, &why);
    if (fd < 0) {
        *ret_error = g_strdup_printf("cannot serve metrics on %s%s", why,
                                     err ? " (pick another port with --metrics=ADDR:PORT)" : "");
        return NULL;
    }
    struct metrics *m = g_new0(struct metrics, 1);
    m->fd = fd;
    m->collectors = g_array_new(FALSE, FALSE, sizeof(struct collector));
    m->watch = g_unix_fd_add(fd, G_IO_IN, on_accept, m);
    return m;
}

void metrics_destroy(struct metrics *m)
{
    if (!m)
        return;
    while (m->scrapes)
        scrape_free(m->scrapes->data);
    g_source_remove(m->watch);
    close(m->fd);
    g_array_unref(m->collectors);
    g_free(m);
}

void metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *user_data)
{
    if (!m)
        return;
    struct collector c = {fn, user_data};
    g_array_append_val(m->collectors, c);
}
