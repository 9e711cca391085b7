#define _GNU_SOURCE /* accept4 */
#include "agent/spice-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/auth-guard.h"
#include "agent/client-link.h"
#include "agent/listen-socket.h"
#include "agent/spice-core.h"
#include "agent/tls.h"


static struct server_events server_events;
/* Names one client connection in logs, the journal and the control socket. */
static char session_id[33];
/* The ticket as last set, to set it again when disconnecting a client. */
static char *ticket;
static gint64 ticket_expires_us; /* monotonic; 0: never */

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

/* Connections held back because their address failed too often. */
#define HELD_PER_ADDRESS 2
#define HELD_TOTAL 32

struct held {
    int fd;
    bool tls;
    char host[NI_MAXHOST];
    guint timer;
};

static SpiceServer *the_server; /* one per process */
static int plain_fd = -1;     /* our plain listening socket; any other is TLS */
static struct auth_guard *guard;
static GList *held_list;      /* struct held* */

static void host_of(const struct sockaddr *sa, socklen_t len, char *host, size_t size)
{
    if (getnameinfo(sa, len, host, size, NULL, 0, NI_NUMERICHOST) != 0)
        g_strlcpy(host, "?", size);
}

static void hand_over(int fd, bool tls)
{
    client_link_add(fd); /* for bitrate control: the kernel's view of the link */
    int rc = tls ? spice_server_add_ssl_client(the_server, fd, 0)
                 : spice_server_add_client(the_server, fd, 0);
    if (rc != 0)
        g_debug("spice-server refused a connection");
}

static gboolean on_held_timer(gpointer data)
{
    struct held *h = data;
    h->timer = 0;
    held_list = g_list_remove(held_list, h);
    hand_over(h->fd, h->tls);
    g_free(h);
    return G_SOURCE_REMOVE;
}

static void on_listen_ready(int listen_fd, void *user_data)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            g_warning("accepting a client failed: %s", g_strerror(errno));
        return;
    }
    char host[NI_MAXHOST];
    host_of((struct sockaddr *)&ss, len, host, sizeof(host));
    bool tls = listen_fd != plain_fd;
    int64_t delay = auth_guard_delay_ms(guard, host, g_get_monotonic_time() / 1000);
    if (delay <= 0) {
        hand_over(fd, tls);
        return;
    }
    unsigned same = 0;
    for (GList *l = held_list; l; l = l->next)
        same += strcmp(((struct held *)l->data)->host, host) == 0;
    if (same >= HELD_PER_ADDRESS || g_list_length(held_list) >= HELD_TOTAL) {
        g_warning("refusing a connection from %s: too many failed attempts, try again later", host);
        close(fd);
        return;
    }
    g_message("delaying a connection from %s by %" G_GINT64_FORMAT " ms after %u failed attempts", host, delay, auth_guard_failures(guard, host));
    struct held *h = g_new0(struct held, 1);
    h->fd = fd;
    h->tls = tls;
    g_strlcpy(h->host, host, sizeof(h->host));
    h->timer = g_timeout_add((guint)delay, on_held_timer, h);
    held_list = g_list_prepend(held_list, h);
}

static void on_channel_event(int event, SpiceChannelEventInfo *info, void *user_data)
{
    char peer[NI_MAXHOST + NI_MAXSERV + 2];
    format_peer(info, peer, sizeof(peer));
    g_debug("channel event %d type %d id %d connection %d from %s", event, info->type, info->id,
            info->connection_id, peer);
    if (info->type == 0) {
        /* A connection that ends before any channel linked: a refused
         * password, a client that rejected our certificate, or not SPICE.
         * A TLS client that only read our certificate (thindesk pinning
         * the key on first use) looks the same through spice-server's
         * events, and is counted too: telling it apart would take
         * spice-server's warning texts, and a mistake there would let
         * rejected certificates or passwords pass uncounted. */
        if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
            char host[NI_MAXHOST] = "?";
            if (info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT)
                host_of((const struct sockaddr *)&info->paddr_ext, info->plen_ext, host,
                        sizeof(host));
            auth_guard_failed(guard, host, g_get_monotonic_time() / 1000);
            g_warning("failed connection attempt from %s%s: closed before linking (wrong or expired password, rejected certificate, a thindesk client reading the key to pin on first use, or not a SPICE client); %u in a row", peer,
                      (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " over TLS" : "",
                      auth_guard_failures(guard, host));
            if (server_events.auth_failed)
                server_events.auth_failed(peer, server_events.user_data);
        }
        return;
    }
    if (info->type != SPICE_CHANNEL_MAIN) {
        if (event == SPICE_CHANNEL_EVENT_INITIALIZED && server_events.channel)
            server_events.channel(info->type, server_events.user_data);
        return;
    }
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
        char host[NI_MAXHOST] = "?";
        if (info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT)
            host_of((const struct sockaddr *)&info->paddr_ext, info->plen_ext, host, sizeof(host));
        auth_guard_succeeded(guard, host);
        for (int i = 0; i < 4; i++)
            g_snprintf(session_id + 8 * i, 9, "%08" G_GINT32_MODIFIER "x", g_random_int());
        /* MESSAGE comes last: it is the format with arguments. */
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CLIENT_ADDRESS", peer, "SESSION_ID",
                         session_id, "EVENT", "client-connected", "MESSAGE",
                         "client %s connected%s (session %s)", peer,
                         (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " over TLS" : "",
                         session_id);
        if (server_events.client)
            server_events.client(true, peer, server_events.user_data);
    } else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
        g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CLIENT_ADDRESS", peer, "SESSION_ID",
                         session_id, "EVENT", "client-disconnected", "MESSAGE",
                         "client %s disconnected (session %s)", peer, session_id);
        if (server_events.client)
            server_events.client(false, peer, server_events.user_data);
    }
}

static int listen_socket(const char *host, int port, const char *option, char **ret_error)
{
    int err = 0;
    g_autofree char *why = NULL;
    int fd = listen_socket_open(host, port, false, &err, &why);
    if (fd < 0 && err == EADDRINUSE)
        *ret_error = g_strdup_printf("cannot listen on %s (another agent or remote desktop server runs there; pick another port with --%s=ADDR:PORT)", why, option);
    else if (fd < 0)
        *ret_error = g_strdup_printf("cannot listen on %s", why);
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
    g_clear_pointer(&ticket, g_free);
    ticket_expires_us = 0;
    if (password) {
        spice_server_set_ticket(s, password, 0, 0, 0);
        ticket = g_strdup(password);
    } else
        spice_server_set_noauth(s);
    spice_server_set_image_compression(s, image_codecs[opts->image_compression]);
    spice_server_set_jpeg_compression(s, wan_codecs[opts->jpeg_wan_compression]);
    spice_server_set_zlib_glz_compression(s, wan_codecs[opts->zlib_glz_wan_compression]);
    /* spice-server's video detection adds a large playout delay in clients:
     * the desktop path stays lossless and immediate unless asked. */
    static const int streaming[] = {
        [STREAMING_VIDEO_OFF] = SPICE_STREAM_VIDEO_OFF,
        [STREAMING_VIDEO_FILTER] = SPICE_STREAM_VIDEO_FILTER,
        [STREAMING_VIDEO_ALL] = SPICE_STREAM_VIDEO_ALL,
    };
    spice_server_set_streaming_video(s, streaming[opts->streaming_video]);
    /* With the agent channel attached, absolute pointer events come as
     * VD_AGENT_MOUSE_STATE with the client's monitor (agent/vdagent.c): right
     * for several monitors, where the tablet only knows the whole surface. */
    spice_server_set_agent_mouse(s, 1);
    spice_server_set_name(s, "thindesk");

    static const struct spice_core_events core_events = {.channel_event = on_channel_event,
                                                          .accept = on_listen_ready};
    the_server = s;
    plain_fd = fd;
    guard = auth_guard_create();
    if (spice_server_init(s, spice_core_get(&core_events)) != 0) {
        *ret_error = g_strdup(tls ? "spice-server failed to start; check the TLS files (see the messages above)"
                                  : "spice-server failed to start (see the messages above)");
        spice_server_destroy(s);
        /* spice-server owns the plain socket once it was handed over */
        auth_guard_destroy(guard);
        guard = NULL;
        the_server = NULL;
        plain_fd = -1;
        return NULL;
    }
    return s;
}

int server_set_password(SpiceServer *server, const char *password, int lifetime_seconds,
                        bool disconnect)
{
    if (!password) {
        if (disconnect)
            spice_server_set_ticket(server, "", 0, 0, 1);
        spice_server_set_noauth(server);
    } else if (spice_server_set_ticket(server, password, lifetime_seconds, 0, disconnect) != 0) {
        return -EINVAL;
    }
    if (ticket)
        memset(ticket, 0, strlen(ticket));
    g_free(ticket);
    ticket = g_strdup(password);
    ticket_expires_us =
        password && lifetime_seconds
            ? g_get_monotonic_time() + (gint64)lifetime_seconds * G_USEC_PER_SEC
            : 0;
    return 0;
}

/* spice-server has no call to drop a client other than setting the ticket
 * with disconnect_if_connected: set the same ticket (or none) again. */
void server_disconnect(SpiceServer *server)
{
    if (!ticket) {
        spice_server_set_ticket(server, NULL, 0, 0, 1);
        spice_server_set_noauth(server);
        return;
    }
    gint64 left = 0;
    if (ticket_expires_us) {
        left = (ticket_expires_us - g_get_monotonic_time()) / G_USEC_PER_SEC;
        if (left <= 0) {
            /* Expired: stays expired (a NULL ticket admits nobody). */
            spice_server_set_ticket(server, NULL, 0, 0, 1);
            return;
        }
    }
    spice_server_set_ticket(server, ticket, (int)left, 0, 1);
}

const char *server_session_id(void)
{
    return session_id;
}

struct auth_guard *server_auth_guard(void)
{
    return guard;
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
    client_link_clear();
    if (ticket)
        memset(ticket, 0, strlen(ticket));
    g_clear_pointer(&ticket, g_free);
    for (GList *l = held_list; l; l = l->next) {
        struct held *h = l->data;
        g_source_remove(h->timer);
        close(h->fd);
        g_free(h);
    }
    g_clear_pointer(&held_list, g_list_free);
    auth_guard_destroy(guard);
    guard = NULL;
    the_server = NULL;
    plain_fd = -1;
}
