/* log-filter: keeps spice-gtk's own warnings off standard error (the client
 * prints one clear message per failure instead) unless THINDESK_DEBUG names
 * "spice" or "all"; remembers the last one as detail for that message. */
#pragma once

void log_filter_install(void);

/* The last warning spice-gtk logged, or NULL (owned by the filter). */
const char *log_filter_last_spice_warning(void);

/* Why spice-gtk's certificate check last refused a server certificate
 * ("subject 'CN=x' verification failed", "Error in certificate chain
 * verification: ..."), or NULL (owned by the filter). */
const char *log_filter_tls_detail(void);

/* Forgets both, so that a new connection's failure is not explained by an
 * older one's. */
void log_filter_forget(void);

/* GStreamer lacks an element of spice-gtk's audio pipelines (gst-check has
 * said so): hide what spice-gtk then logs when it reads the local volume
 * for the guest (volume sync) from the pipeline it could not build, three
 * "g_object_...: assertion 'G_IS_OBJECT (object)' failed" criticals per
 * direction and connection. */
void log_filter_hide_gst_volume_sync(void);
