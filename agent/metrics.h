/* metrics: Prometheus text exposition over HTTP (GET /metrics) on an
 * address the admin chose (--metrics=127.0.0.1:9464).
 *
 * Modules contribute collectors: at each scrape every collector writes its
 * current values through the metrics_write_* functions, so counters live
 * where they are counted. Histograms are plain objects a module observes
 * into and writes from its collector. Main thread only; every function
 * accepts a NULL metrics. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct metrics_writer;

typedef void (*metrics_collect_fn)(struct metrics_writer *w, void *user_data);

/* Listens on @host:@port. Returns NULL with *ret_error (new string). */
struct metrics *metrics_create(const char *host, int port, char **ret_error);
void metrics_destroy(struct metrics *metrics);

void metrics_add_collector(struct metrics *metrics, metrics_collect_fn fn, void *user_data);

/* The whole exposition as served (new string): collectors in the order
 * added, then the process metrics. */
char *metrics_render(struct metrics *metrics);

/* One metric family without labels. @name follows Prometheus rules;
 * counters end in _total. */
void metrics_write_counter(struct metrics_writer *w, const char *name, const char *help,
                           double value);
void metrics_write_gauge(struct metrics_writer *w, const char *name, const char *help,
                         double value);
/* A family with labelled samples: one header, then samples whose @labels
 * are written verbatim inside the braces (e.g. "channel=\"display\""). */
void metrics_write_header(struct metrics_writer *w, const char *name, const char *type,
                          const char *help);
void metrics_write_sample(struct metrics_writer *w, const char *name, const char *labels,
                          double value);

struct metrics_histogram;
/* @bounds: @n ascending upper bounds (the +Inf bucket is implied). */
struct metrics_histogram *metrics_histogram_new(const double *bounds, size_t n);
void metrics_histogram_free(struct metrics_histogram *h);
void metrics_histogram_observe(struct metrics_histogram *h, double value);
void metrics_write_histogram(struct metrics_writer *w, const char *name, const char *help,
                             const struct metrics_histogram *h);

enum metrics_http_result {
    METRICS_HTTP_INCOMPLETE, /* need more bytes */
    METRICS_HTTP_METRICS,    /* GET or HEAD /metrics */
    METRICS_HTTP_NOT_FOUND,  /* another path */
    METRICS_HTTP_BAD_METHOD, /* not GET or HEAD */
    METRICS_HTTP_BAD,        /* not HTTP, or too long */
};
/* Looks at the first @len bytes a scraper sent (pure; any bytes). *ret_head
 * is set for HEAD requests. */
enum metrics_http_result metrics_http_parse(const char *buf, size_t len, bool *ret_head);
#define METRICS_HTTP_MAX_REQUEST 8192
