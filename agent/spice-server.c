#include "agent/spice-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/spice-core.h"


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

static void on_channel_event(int event, SpiceChannelEventInfo *info, void *user_data)
{
    if (info->type != SPICE_CHANNEL_MAIN)
        return;
    char peer[NI_MAXHOST + NI_MAXSERV + 2];
    format_peer(info, peer, sizeof(peer));
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
        g_message("client %s connected%s", peer,
                  (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " over TLS" : "");
        if (server_events.client)
            server_events.client(true, peer, server_events.user_data);
    } else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
        g_message("client %s disconnected", peer);
        if (server_events.client)
            server_events.client(false, peer, server_events.user_data);
    }
}

/* Binds the listening socket ourselves so that a port in use or a bad
 * address is reported precisely. */
static int listen_socket(const char *host, int port, char **ret_error)
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
        *ret_error = g_strdup_printf(
            "cannot listen on %s:%d: %s%s", host, port, g_strerror(err),
            err == EADDRINUSE ? " (another agent or remote desktop server runs there; pick "
                                "another port with --listen=ADDR:PORT)"
                              : "");
        return -1;
    }
    return fd;
}

SpiceServer *server_create(const struct agent_options *opts, const char *password,
                           const struct server_events *events, char **ret_error)
{
    if (events)
        server_events = *events;
    int fd = listen_socket(opts->listen_host, opts->listen_port, ret_error);
    if (fd < 0)
        return NULL;

    SpiceServer *s = spice_server_new();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    spice_server_set_listen_socket_fd(s, fd);
#pragma GCC diagnostic pop
    if (password)
        spice_server_set_ticket(s, password, 0, 0, 0);
    else
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
    spice_server_set_agent_mouse(s, 0);
    spice_server_set_name(s, "thindesk");

    static const struct spice_core_events core_events = {.channel_event = on_channel_event};
    if (spice_server_init(s, spice_core_get(&core_events)) != 0) {
        *ret_error = g_strdup("spice-server failed to start (see the messages above)");
        spice_server_destroy(s);
        close(fd);
        return NULL;
    }
    return s;
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
}
