#include "agent/log.h"

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static GLogLevelFlags threshold = G_LOG_LEVEL_INFO;
static char **debug_topics;

static int rank(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return 0;
    if (level & G_LOG_LEVEL_WARNING)
        return 1;
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return 2;
    return 3;
}

static bool topic_enabled(const char *domain)
{
    if (!debug_topics)
        return false;
    const char *topic = domain && g_str_has_prefix(domain, "thindesk-") ? domain + 9 : domain;
    for (char **t = debug_topics; *t; t++)
        if (strcmp(*t, "all") == 0 || (topic && strcmp(*t, topic) == 0))
            return true;
    return false;
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                               gpointer user_data)
{
    const char *domain = NULL, *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
        else if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    }
    bool show = rank(level) <= rank(threshold) || (rank(level) == 3 && topic_enabled(domain));
    /* spice-server's own chatter only matters when it warns; a client that
     * closes its socket is not worth a warning. */
    bool spice = domain && strcmp(domain, "Spice") == 0;
    if (spice && !topic_enabled("spice") &&
        (rank(level) > 1 || strstr(message ? message : "", "Connection reset by peer")))
        show = false;
    if (!show || !message)
        return G_LOG_WRITER_HANDLED;
    const char *prefix = rank(level) == 0 ? "error: " : rank(level) == 1 ? "warning: " : "";
    if (rank(level) == 3)
        fprintf(stderr, "thindesk-agent: [%s] %s\n", domain ? domain : "?", message);
    else
        fprintf(stderr, "thindesk-agent: %s%s%s\n", prefix, spice ? "spice-server: " : "",
                message);
    fflush(stderr);
    return G_LOG_WRITER_HANDLED;
}

void log_init(const char *level)
{
    if (!level || strcmp(level, "info") == 0)
        threshold = G_LOG_LEVEL_INFO;
    else if (strcmp(level, "error") == 0)
        threshold = G_LOG_LEVEL_CRITICAL;
    else if (strcmp(level, "warning") == 0)
        threshold = G_LOG_LEVEL_WARNING;
    else if (strcmp(level, "debug") == 0)
        threshold = G_LOG_LEVEL_DEBUG;
    const char *topics = g_getenv("THINDESK_DEBUG");
    g_strfreev(debug_topics);
    debug_topics = topics && *topics ? g_strsplit(topics, ",", -1) : NULL;
    g_log_set_writer_func(writer, NULL, NULL);
}
