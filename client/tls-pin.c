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
    bool pending, orphaned; /* orphaned: destroyed while the handshake ran */
};

static void free_pin(struct tls_pin *p)
{
    g_object_unref(p->cancel);
    g_free(p->address);
    g_free(p);
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
        p->done(NULL, EXIT_STATUS_CERTIFICATE, msg, p->data);
        return;
    }
    gsize len;
    const guint8 *kd = g_bytes_get_data(key, &len);
    g_autofree char *fp = known_hosts_fingerprint(kd, len);
    g_autofree char *path = s->known_hosts ? g_strdup(s->known_hosts) : known_hosts_default_path();
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
        break;
    case KNOWN_HOSTS_NEW:
        if (known_hosts_add(kh, s->host, s->tls_port, fp) < 0 ||
            known_hosts_save(kh, path, &err) < 0) {
            g_printerr("thindesk: %s: could not pin the server key: %s\n", p->address,
                       err ? err : "bad host name");
        } else {
            g_printerr("thindesk: %s: first connection, pinned the server key %s in %s\n",
                       p->address, fp, path);
        }
        break;
    case KNOWN_HOSTS_MISMATCH: {
        g_autofree char *msg = g_strdup_printf(
            "%s: the server key changed (pinned %s, now %s); if the server was reinstalled, delete its line from %s",
            p->address, pinned, fp, path);
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
    if (!cert) {
        g_autofree char *msg =
            g_strdup_printf("%s: the server sent no TLS certificate", p->address);
        p->done(NULL, EXIT_STATUS_CERTIFICATE, msg, p->data);
        return;
    }
    decide(p, cert);
}

struct tls_pin *tls_pin_check(const struct settings *s, tls_pin_fn done, void *data)
{
    struct tls_pin *p = g_new0(struct tls_pin, 1);
    p->settings = s;
    p->done = done;
    p->data = data;
    p->cancel = g_cancellable_new();
    p->address = g_strdup_printf("%s:%d", s->host, s->tls_port);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_tls(client, TRUE);
    g_socket_client_set_timeout(client, (guint)s->timeout);
    g_signal_connect(client, "event", G_CALLBACK(on_event), NULL);
    p->pending = true;
    g_socket_client_connect_to_host_async(client, s->host, (guint16)s->tls_port, p->cancel,
                                          on_connected, p);
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
