#include "agent/log.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static GLogLevelFlags threshold = G_LOG_LEVEL_INFO;
static char **debug_topics;
static bool to_journal;

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

static int priority(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return LOG_CRIT;
    if (level & G_LOG_LEVEL_CRITICAL)
        return LOG_ERR;
    if (level & G_LOG_LEVEL_WARNING)
        return LOG_WARNING;
    if (level & G_LOG_LEVEL_MESSAGE)
        return LOG_NOTICE;
    if (level & G_LOG_LEVEL_INFO)
        return LOG_INFO;
    return LOG_DEBUG;
}

/* Journal field names: upper case letters, digits and underscores, not
 * starting with an underscore (those are trusted fields journald sets). */
static bool journal_field_name_ok(const char *key)
{
    if (!key[0] || key[0] == '_' || strlen(key) > 64)
        return false;
    for (const char *p = key; *p; p++)
        if (!g_ascii_isupper(*p) && !g_ascii_isdigit(*p) && *p != '_')
            return false;
    return true;
}

int log_journal_fields(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                       bool spice, GPtrArray *ret_fields)
{
    const char *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        const GLogField *f = &fields[i];
        if (strcmp(f->key, "PRIORITY") == 0 || !journal_field_name_ok(f->key))
            continue;
        /* Only text fields: a length of -1 means a nul-terminated string. */
        g_autofree char *value =
            f->length < 0 ? g_strdup(f->value) : g_strndup(f->value, (gsize)f->length);
        if (strcmp(f->key, "MESSAGE") == 0) {
            message = f->value;
            g_ptr_array_add(ret_fields, g_strdup_printf("MESSAGE=%s%s", spice ? "spice-server: " : "",
                                                        value));
        } else {
            g_ptr_array_add(ret_fields, g_strdup_printf("%s=%s", f->key, value));
        }
    }
    if (!message)
        return -EINVAL;
    g_ptr_array_add(ret_fields, g_strdup_printf("PRIORITY=%d", priority(level)));
    g_ptr_array_add(ret_fields, g_strdup("SYSLOG_IDENTIFIER=thindesk-agent"));
    return 0;
}

static int log_journal_send(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                            bool spice)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    int rc = log_journal_fields(level, fields, n_fields, spice, lines);
    if (rc < 0)
        return rc;
    struct iovec iov[lines->len];
    for (guint i = 0; i < lines->len; i++)
        iov[i] = (struct iovec){.iov_base = lines->pdata[i], .iov_len = strlen(lines->pdata[i])};
    return sd_journal_sendv(iov, (int)lines->len);
}

bool log_stderr_is_journal(void)
{
    const char *js = g_getenv("JOURNAL_STREAM");
    if (!js || !*js)
        return false;
    unsigned long long dev, ino;
    if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return false;
    struct stat st;
    if (fstat(2, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
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
    if (to_journal)
        return log_journal_send(level, fields, n_fields, spice) == 0 ? G_LOG_WRITER_HANDLED
                                                                    : G_LOG_WRITER_UNHANDLED;
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
    /* Started by systemd with stderr connected to the journal: send
     * structured entries instead of lines. */
    to_journal = log_stderr_is_journal();
    g_log_set_writer_func(writer, NULL, NULL);
}
