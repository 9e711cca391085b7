#include "agent/spice-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/spice-core.h"
#include "agent/tls.h"


static struct server_events server_events;

static const SpiceImageCompression image_codecs[] = {
    [IMAGE_COMPRESSION_AUTO_GLZ] = SPICE_IMAGE_COMPRESSION_AUTO_GLZ,
    [IMAGE_COMPRESSION_AUTO_LZ] = SPICE_IMAGE_COMPRESSION_AUTO_LZ,
    [IMAGE_COMPRESSION_QUIC] = SPICE_IMAGE_COMPRESSION_QUIC,
    [IMAGE_COMPRESSION_GLZ] = SPICE_IMAGE_COMPRESSION_GLZ,
    [IMAGE_COMPRESSION_LZ] = SPICE_IMAGE_COMPRESSION_LZ,
    [IMAGE_COMPRESSION_LZ4] = SPICE_IMAGE_COMPRESSION_LZ4,
    [IMAGE_COMPRESSION_OFF] = SPICE_IMAGE_COMPRESSION_OFF,
};

static const spice_wan_compression_t wan_codecs[] = {
    [WAN_COMPRESSION_AUTO] = SPICE_WAN_COMPRESSION_AUTO,
    [WAN_COMPRESSION_NEVER] = SPICE_WAN_COMPRESSION_NEVER,
    [WAN_COMPRESSION_ALWAYS] = SPICE_WAN_COMPRESSION_ALWAYS,
};

static void format_peer(const SpiceChannelEventInfo *info, char *buf, size_t len)
{
    char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
    if (info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT)
        getnameinfo((const struct sockaddr *)&info->paddr_ext, info->plen_ext, host,
                    sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
    g_snprintf(buf, len, "%s:%s", host, port);
}

/* Main channels seen CONNECTED and not yet INITIALIZED, by connection id:
 * a main channel that disconnects before INITIALIZED failed its link
 * (almost always: a wrong or expired password). */
static GHashTable *pending_main;

static void on_channel_event(int event, SpiceChannelEventInfo *info, void *user_data)
{
    char peer[NI_MAXHOST + NI_MAXSERV + 2];
    format_peer(info, peer, sizeof(peer));
    g_debug("channel event %d type %d id %d connection %d from %s", event, info->type, info->id,
            info->connection_id, peer);
    if (info->type != SPICE_CHANNEL_MAIN) {
        if (event == SPICE_CHANNEL_EVENT_INITIALIZED && server_events.channel)
            server_events.channel(info->type, server_events.user_data);
        return;
    }
    if (!pending_main)
        pending_main = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (event == SPICE_CHANNEL_EVENT_CONNECTED) {
        g_hash_table_add(pending_main, g_strdup(peer));
    } else if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
        g_hash_table_remove(pending_main, peer);
        g_message("client %s connected%s", peer,
                  (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " over TLS" : "");
        if (server_events.client)
            server_events.client(true, peer, server_events.user_data);
    } else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
        if (g_hash_table_remove(pending_main, peer)) {
            g_warning("client %s failed to authenticate (wrong or expired password?)", peer);
            if (server_events.auth_failed)
                server_events.auth_failed(peer, server_events.user_data);
            return;
        }
        g_message("client %s disconnected", peer);
        if (server_events.client)
            server_events.client(false, peer, server_events.user_data);
    }
}

/* Binds the listening socket ourselves so that a port in use or a bad
 * address is reported precisely. */
static int listen_socket(const char *host, int port, const char *option, char **ret_error)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[16];
    g_snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        *ret_error = g_strdup_printf("cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 8) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (err == EADDRINUSE)
            *ret_error = g_strdup_printf("cannot listen on %s:%d: %s (another agent or remote desktop server runs there; pick another port with --%s=ADDR:PORT)", host, port, g_strerror(err), option);
        else
            *ret_error = g_strdup_printf("cannot listen on %s:%d: %s", host, port, g_strerror(err));
        return -1;
    }
    return fd;
}

/* spice-server binds the TLS socket itself: try the address first so that a
 * port in use is reported as precisely as for the plain socket. */
static bool check_port(const char *host, int port, const char *option, char **ret_error)
{
    int fd = listen_socket(host, port, option, ret_error);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

SpiceServer *server_create(const struct agent_options *opts, const char *password,
                           const struct tls_identity *tls, const struct server_events *events,
                           char **ret_error)
{
    if (events)
        server_events = *events;
    int fd = -1;
    if (opts->listen_port > 0) {
        fd = listen_socket(opts->listen_host, opts->listen_port, "listen", ret_error);
        if (fd < 0)
            return NULL;
    }
    if (tls && !check_port(opts->tls_listen_host, opts->tls_listen_port, "tls-listen", ret_error)) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }

    SpiceServer *s = spice_server_new();
    if (fd >= 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        spice_server_set_listen_socket_fd(s, fd);
#pragma GCC diagnostic pop
    }
    if (tls) {
        spice_server_set_addr(s, opts->tls_listen_host, 0);
        if (spice_server_set_tls(s, opts->tls_listen_port, tls_identity_ca_file(tls),
                                 tls_identity_cert_file(tls), tls_identity_key_file(tls), NULL,
                                 NULL, TLS_CIPHERS) != 0) {
            *ret_error = g_strdup("spice-server rejected the TLS settings");
            spice_server_destroy(s);
            if (fd >= 0)
                close(fd);
            return NULL;
        }
        /* Without a plain socket, every channel must be encrypted. */
        if (fd < 0)
            spice_server_set_channel_security(s, NULL, SPICE_CHANNEL_SECURITY_SSL);
    }
    if (password)
        spice_server_set_ticket(s, password, 0, 0, 0);
    else
        spice_server_set_noauth(s);
    spice_server_set_image_compression(s, image_codecs[opts->image_compression]);
    spice_server_set_jpeg_compression(s, wan_codecs[opts->jpeg_wan_compression]);
    spice_server_set_zlib_glz_compression(s, wan_codecs[opts->zlib_glz_wan_compression]);
    /* spice-server's video detection adds a large playout delay in clients:
     * the desktop path stays lossless and immediate. */
    spice_server_set_streaming_video(s, SPICE_STREAM_VIDEO_OFF);
    spice_server_set_agent_mouse(s, 0);
    spice_server_set_name(s, "thindesk");

    static const struct spice_core_events core_events = {.channel_event = on_channel_event};
    if (spice_server_init(s, spice_core_get(&core_events)) != 0) {
        *ret_error = g_strdup(tls ? "spice-server failed to start; check the TLS files (see the messages above)"
                                  : "spice-server failed to start (see the messages above)");
        spice_server_destroy(s);
        /* spice-server owns the plain socket once it was handed over */
        return NULL;
    }
    return s;
}

int server_set_password(SpiceServer *server, const char *password, int lifetime_seconds)
{
    /* lifetime 0: no expiry; clients already connected stay connected. */
    return spice_server_set_ticket(server, password, lifetime_seconds, 0, 0) == 0 ? 0 : -EINVAL;
}

void server_start(SpiceServer *server)
{
    spice_server_vm_start(server);
}

void server_destroy(SpiceServer *server)
{
    if (!server)
        return;
    spice_server_vm_stop(server);
    spice_server_destroy(server);
    if (pending_main) {
        g_hash_table_destroy(pending_main);
        pending_main = NULL;
    }
}
