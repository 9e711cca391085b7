#include "client/log-filter.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

static char *last_warning;
static char *tls_detail;
static gboolean show_spice;
static gboolean hide_volume_sync;

/* spice-gtk reads its local volume to send it to the guest agent (volume
 * sync) even from GStreamer's autoaudiosink/autoaudiosrc when they wrapped
 * an element without a volume, which GObject then warns about. That is
 * spice-gtk's noise, in GObject's log domain. */
static gboolean is_spice_volume_read(const char *domain, const char *message)
{
    return domain && message && strcmp(domain, "GLib-GObject") == 0 &&
           strstr(message, "object class 'GstAutoAudio") &&
           strstr(message, "has no property named 'volume'");
}

/* With an audio element missing, spice-gtk's volume sync (channel-main.c
 * asking spice-gstaudio.c) builds no pipeline and passes its NULL sink to
 * g_object_ref, g_object_get and g_object_unref. */
static gboolean is_spice_volume_sync_failure(const char *domain, const char *message)
{
    static const char *const failures[] = {
        "g_object_ref: assertion 'G_IS_OBJECT (object)' failed",
        "g_object_get: assertion 'G_IS_OBJECT (object)' failed",
        "g_object_unref: assertion 'G_IS_OBJECT (object)' failed",
    };
    if (!hide_volume_sync || !domain || !message || strcmp(domain, "GLib-GObject") != 0)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(failures); i++)
        if (strcmp(message, failures[i]) == 0)
            return true;
    return false;
}

/* spice-common's certificate checks (ssl_verify.c) say why a certificate was
 * refused, then a generic "verification failed": keep the reason, without
 * the source location in front of it. */
static void remember_tls_detail(const char *message)
{
    if (!strstr(message, "openssl_verify:"))
        return;
    const char *text = strstr(message, "openssl_verify:") + strlen("openssl_verify:");
    while (*text == ' ')
        text++;
    if (g_str_has_prefix(text, "ssl: "))
        text += strlen("ssl: ");
    if (strcmp(text, "verification failed") == 0)
        return;
    g_free(tls_detail);
    tls_detail = g_strdup(text);
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                               gpointer data)
{
    const char *domain = NULL, *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
        else if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    }
    if ((is_spice_volume_read(domain, message) || is_spice_volume_sync_failure(domain, message)) &&
        !show_spice)
        return G_LOG_WRITER_HANDLED;
    /* "GSpice": spice-gtk; "Spice": the spice-common code built into it. */
    bool spice = domain && (g_str_has_prefix(domain, "GSpice") || strcmp(domain, "Spice") == 0);
    if (spice && !show_spice) {
        if ((level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)) && message) {
            g_free(last_warning);
            last_warning = g_strdup(message);
            remember_tls_detail(message);
        }
        if (!(level & G_LOG_LEVEL_ERROR))
            return G_LOG_WRITER_HANDLED;
    }
    return g_log_writer_default(level, fields, n_fields, data);
}

void log_filter_install(void)
{
    const char *debug = g_getenv("THINDESK_DEBUG");
    show_spice = debug && (strstr(debug, "spice") || strstr(debug, "all"));
    g_log_set_writer_func(writer, NULL, NULL);
}

const char *log_filter_last_spice_warning(void)
{
    return last_warning;
}

const char *log_filter_tls_detail(void)
{
    return tls_detail;
}

void log_filter_hide_gst_volume_sync(void)
{
    hide_volume_sync = TRUE;
}

void log_filter_forget(void)
{
    g_clear_pointer(&last_warning, g_free);
    g_clear_pointer(&tls_detail, g_free);
}
