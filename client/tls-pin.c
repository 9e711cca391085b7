#include "client/tls-pin.h"

#include <gio/gio.h>
#include <openssl/x509.h>

#include "client/known-hosts.h"

struct tls_pin {
    const struct settings *settings;
    tls_pin_fn done;
    void *data;
    GCancellable *cancel;
    char *address;
    /* tls_pin_explain(): the key the session required; else NULL */
    GBytes *explain;
    GBytes *answer;         /* tls_pin_check() without a handshake: the pinned key */
    char *error;            /* ... or why it cannot go on */
    guint idle;             /* reports answer or error */
    bool pending, orphaned; /* orphaned: destroyed while the handshake ran */
};

static void free_pin(struct tls_pin *p)
{
    g_clear_handle_id(&p->idle, g_source_remove);
    g_object_unref(p->cancel);
    g_free(p->address);
    g_clear_pointer(&p->explain, g_bytes_unref);
    g_clear_pointer(&p->answer, g_bytes_unref);
    g_free(p->error);
    g_free(p);
}

static char *pin_path(const struct settings *s)
{
    return s->known_hosts ? g_strdup(s->known_hosts) : known_hosts_default_path();
}

static char *key_fingerprint(GBytes *key)
{
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(key, &len);
    return known_hosts_fingerprint(data, len);
}

static char *changed_message(const struct tls_pin *p, const struct known_hosts *kh,
                             const char *path, const char *pinned, const char *now)
{
    int line = known_hosts_line(kh, p->settings->host, p->settings->tls_port);
    if (line > 0)
        return g_strdup_printf(
            "%s: the server key changed (pinned %s, now %s); if the server was reinstalled, delete line %d of %s",
            p->address, pinned, now, line, path);
    return g_strdup_printf(
        "%s: the server key changed (pinned %s, now %s); if the server was reinstalled, delete its line from %s",
        p->address, pinned, now, path);
}

bool tls_pin_needed(const struct settings *s)
{
    return s->tls_port && !s->ca_file && !s->ca;
}

GBytes *tls_pin_public_key(GBytes *cert)
{
    gsize len = 0;
    const unsigned char *der = g_bytes_get_data(cert, &len);
    X509 *x = d2i_X509(NULL, &der, (long)len);
    if (!x)
        return NULL;
    unsigned char *out = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &out);
    X509_free(x);
    if (n <= 0)
        return NULL;
    GBytes *key = g_bytes_new(out, (gsize)n);
    OPENSSL_free(out);
    return key;
}

static gboolean accept_any(GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors,
                           gpointer data)
{
    return TRUE; /* the pin decides, below */
}

static void on_event(GSocketClient *client, GSocketClientEvent event, GSocketConnectable *c,
                     GIOStream *stream, gpointer data)
{
    if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
        g_signal_connect(stream, "accept-certificate", G_CALLBACK(accept_any), NULL);
}

/* tls_pin_explain(): the session refused @key's server; say whether the
 * key changed since it was pinned. */
static void explain(struct tls_pin *p, GBytes *key)
{
    if (g_bytes_equal(key, p->explain)) {
        p->done(p->explain, EXIT_STATUS_OK, NULL, p->data);
        return;
    }
    const struct settings *s = p->settings;
    g_autofree char *path = pin_path(s);
    g_autofree char *err = NULL;
    g_autofree char *pinned = key_fingerprint(p->explain);
    g_autofree char *now = key_fingerprint(key);
    struct known_hosts *kh = known_hosts_create();
    if (known_hosts_load(kh, path, &err) < 0)
        g_clear_pointer(&err, g_free); /* then the message names no line */
    g_autofree char *msg = changed_message(p, kh, path, pinned, now);
    known_hosts_destroy(kh);
    p->done(NULL, EXIT_STATUS_CERTIFICATE, msg, p->data);
}

static void decide(struct tls_pin *p, GTlsCertificate *cert)
{
    const struct settings *s = p->settings;
    g_autoptr(GByteArray) der = NULL;
    g_object_get(cert, "certificate", &der, NULL);
    g_autoptr(GBytes) der_bytes = der ? g_bytes_new(der->data, der->len) : NULL;
    g_autoptr(GBytes) key = der_bytes ? tls_pin_public_key(der_bytes) : NULL;
    if (!key) {
        g_autofree char *msg =
            g_strdup_printf("%s: cannot read the server's TLS certificate", p->address);
        p->done(p->explain, p->explain ? EXIT_STATUS_OK : EXIT_STATUS_CERTIFICATE,
                p->explain ? NULL : msg, p->data);
        return;
    }
    if (p->explain) {
        explain(p, key);
        return;
    }
    g_autofree char *fp = key_fingerprint(key);
    g_autofree char *path = pin_path(s);
    g_autofree char *err = NULL;
    struct known_hosts *kh = known_hosts_create();
    if (known_hosts_load(kh, path, &err) < 0) {
        known_hosts_destroy(kh);
        p->done(NULL, EXIT_STATUS_CERTIFICATE, err, p->data);
        return;
    }
    const char *pinned = NULL;
    switch (known_hosts_check(kh, s->host, s->tls_port, fp, &pinned)) {
    case KNOWN_HOSTS_MATCH:
        /* A line of the old format (fingerprint only): keep the whole key
         * from now on, so that later connections need no handshake of
         * their own. Failing that, the fingerprint still protects. */
        if (known_hosts_add_key(kh, s->host, s->tls_port, key) < 0 ||
            known_hosts_save(kh, path, &err) < 0)
            g_printerr("thindesk: %s: could not add the whole server key to its pin: %s\n",
                       p->address, err ? err : "bad host name");
        break;
    case KNOWN_HOSTS_NEW:
        if (known_hosts_add_key(kh, s->host, s->tls_port, key) < 0 ||
            known_hosts_save(kh, path, &err) < 0) {
            g_printerr("thindesk: %s: could not pin the server key: %s\n", p->address,
                       err ? err : "bad host name");
        } else {
            g_printerr("thindesk: %s: first connection, pinned the server key %s in %s\n",
                       p->address, fp, path);
        }
        break;
    case KNOWN_HOSTS_MISMATCH: {
        g_autofree char *msg = changed_message(p, kh, path, pinned, fp);
        known_hosts_destroy(kh);
        p->done(NULL, EXIT_STATUS_CERTIFICATE, msg, p->data);
        return;
    }
    }
    known_hosts_destroy(kh);
    p->done(key, EXIT_STATUS_OK, NULL, p->data);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &err);
    struct tls_pin *p = data;
    p->pending = false;
    if (p->orphaned) {
        free_pin(p);
        return;
    }
    if (!conn && p->explain) {
        p->done(p->explain, EXIT_STATUS_OK, NULL, p->data);
        return;
    }
    if (!conn) {
        g_autofree char *msg =
            g_strdup_printf("cannot connect to %s: %s", p->address, err->message);
        enum exit_status st =
            err->domain == G_TLS_ERROR ? EXIT_STATUS_CERTIFICATE : EXIT_STATUS_UNREACHABLE;
        p->done(NULL, st, msg, p->data);
        return;
    }
    GTlsCertificate *cert = NULL;
    if (G_IS_TCP_WRAPPER_CONNECTION(conn)) {
        GIOStream *base =
            g_tcp_wrapper_connection_get_base_io_stream(G_TCP_WRAPPER_CONNECTION(conn));
        if (G_IS_TLS_CONNECTION(base))
            cert = g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(base));
    }
    if (!cert && p->explain) {
        p->done(p->explain, EXIT_STATUS_OK, NULL, p->data);
        return;
    }
    if (!cert) {
        g_autofree char *msg =
            g_strdup_printf("%s: the server sent no TLS certificate", p->address);
        p->done(NULL, EXIT_STATUS_CERTIFICATE, msg, p->data);
        return;
    }
    decide(p, cert);
}

static struct tls_pin *pin_new(const struct settings *s, tls_pin_fn done, void *data)
{
    struct tls_pin *p = g_new0(struct tls_pin, 1);
    p->settings = s;
    p->done = done;
    p->data = data;
    p->cancel = g_cancellable_new();
    p->address = g_strdup_printf("%s:%d", s->host, s->tls_port);
    return p;
}

/* One TLS handshake with the server, to see its certificate. The server
 * sees a TLS connection that closes before a SPICE link. */
static void probe(struct tls_pin *p)
{
    const struct settings *s = p->settings;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_tls(client, TRUE);
    g_socket_client_set_timeout(client, (guint)s->timeout);
    g_signal_connect(client, "event", G_CALLBACK(on_event), NULL);
    p->pending = true;
    g_socket_client_connect_to_host_async(client, s->host, (guint16)s->tls_port, p->cancel,
                                          on_connected, p);
}

static gboolean on_answer(gpointer data)
{
    struct tls_pin *p = data;
    p->idle = 0;
    if (p->answer)
        p->done(p->answer, EXIT_STATUS_OK, NULL, p->data);
    else
        p->done(NULL, EXIT_STATUS_CERTIFICATE, p->error, p->data);
    return G_SOURCE_REMOVE;
}

struct tls_pin *tls_pin_check(const struct settings *s, tls_pin_fn done, void *data)
{
    struct tls_pin *p = pin_new(s, done, data);
    g_autofree char *path = pin_path(s);
    struct known_hosts *kh = known_hosts_create();
    if (known_hosts_load(kh, path, &p->error) < 0) {
        p->idle = g_idle_add(on_answer, p);
    } else if (known_hosts_get_key(kh, s->host, s->tls_port)) {
        /* Pinned with the whole key: spice-gtk checks it in the session's
         * own handshake, and no extra connection reaches the server. */
        p->answer = g_bytes_ref(known_hosts_get_key(kh, s->host, s->tls_port));
        p->idle = g_idle_add(on_answer, p);
    } else {
        probe(p);
    }
    known_hosts_destroy(kh);
    return p;
}

struct tls_pin *tls_pin_explain(const struct settings *s, GBytes *pinned, tls_pin_fn done,
                                void *data)
{
    struct tls_pin *p = pin_new(s, done, data);
    p->explain = g_bytes_ref(pinned);
    probe(p);
    return p;
}

void tls_pin_destroy(struct tls_pin *p)
{
    if (!p)
        return;
    g_cancellable_cancel(p->cancel);
    if (p->pending)
        p->orphaned = true;
    else
        free_pin(p);
}
