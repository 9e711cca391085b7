/* agent-ops: the control socket commands and the metrics the agent itself
 * contributes. */
#include "agent/agent-priv.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

/* --- control socket --- */

static void agent_status(JsonObject *status, void *data)
{
    struct agent *a = data;
    json_object_set_string_member(status, "version", THINDESK_VERSION);
    JsonArray *clients = json_array_new();
    if (a->client_address) {
        JsonObject *c = json_object_new();
        json_object_set_string_member(c, "address", a->client_address);
        json_object_set_string_member(c, "session_id", server_session_id());
        json_object_set_int_member(c, "connected_seconds",
                                   (g_get_monotonic_time() - a->client_since_us) / G_USEC_PER_SEC);
        json_array_add_object_element(clients, c);
    }
    json_object_set_array_member(status, "clients", clients);
    JsonObject *res = json_object_new();
    json_object_set_int_member(res, "width", a->width);
    json_object_set_int_member(res, "height", a->height);
    json_object_set_object_member(status, "resolution", res);
    g_autofree char *listen = g_strdup_printf(strchr(a->opts->listen_host, ':') ? "[%s]:%d" : "%s:%d",
                                              a->opts->listen_host, a->opts->listen_port);
    json_object_set_string_member(status, "listen", listen);
    JsonObject *paths = json_object_new();
    json_object_set_string_member(paths, "display", a->display_name);
    json_object_set_string_member(paths, "capture", a->opts->capture);
    json_object_set_string_member(paths, "control_socket", control_get_path(a->control));
    if (a->vv_file)
        json_object_set_string_member(paths, "vv_file", a->vv_file);
    json_object_set_object_member(status, "paths", paths);
}

static bool cmd_disconnect(JsonObject *args, JsonObject *reply, char **ret_error, void *data)
{
    struct agent *a = data;
    if (!a->client_address) {
        *ret_error = g_strdup("no client is connected");
        return false;
    }
    json_object_set_string_member(reply, "disconnected", a->client_address);
    g_message("disconnecting client %s (control socket)", a->client_address);
    server_disconnect(a->server);
    return true;
}

char *agent_write_vv_file(struct agent *a);

static bool cmd_set_password(JsonObject *args, JsonObject *reply, char **ret_error, void *data)
{
    struct agent *a = data;
    g_autofree char *password = NULL;
    int64_t expires = 0;
    if (control_parse_set_password(args, &password, &expires, ret_error) < 0)
        return false;
    if (server_set_password(a->server, password, (int)expires, false) < 0) {
        *ret_error = g_strdup("spice-server refused the password");
        memset(password, 0, strlen(password));
        return false;
    }
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    a->password = g_steal_pointer(&password);
    /* The connection file carries the new password. */
    if (a->vv_file)
        g_free(agent_write_vv_file(a));
    if (expires)
        g_message("password changed through the control socket; it expires in %" G_GINT64_FORMAT " s",
                  expires);
    else
        g_message("password changed through the control socket");
    json_object_set_int_member(reply, "expires", expires);
    return true;
}

/* --- metrics --- */

static void on_grab_timed(uint64_t usec, void *data)
{
    struct agent *a = data;
    metrics_histogram_observe(a->grab_hist, usec / 1e6);
}

static void agent_metrics(struct metrics_writer *w, void *data)
{
    struct agent *a = data;
    struct frame_pump_stats ps = {0};
    struct spice_display_stats ds = {0};
    if (a->pump) /* the desktop path; --video=stream has its own counters */
        frame_pump_get_stats(a->pump, &ps);
    if (a->display)
        spice_display_get_stats(a->display, &ds);
    metrics_write_counter(w, "thindesk_frames_captured_total",
                          "snapshots of changed pixels taken from the desktop", ps.grabs);
    metrics_write_counter(w, "thindesk_frames_sent_total",
                          "updates handed to spice-server for the client", ds.frames);
    metrics_write_counter(w, "thindesk_drawables_sent_total",
                          "QXL draw commands handed to spice-server", ds.drawables);
    metrics_write_header(w, "thindesk_channel_bytes_total", "counter",
                         "uncompressed bytes handed to spice-server, per channel");
    metrics_write_sample(w, "thindesk_channel_bytes_total", "channel=\"display\"", ds.bytes);
    metrics_write_counter(w, "thindesk_pixels_captured_total", "pixels grabbed", ps.pixels);
    metrics_write_counter(w, "thindesk_copies_sent_total",
                          "window moves and scrolls sent as copy-bits instead of pixels",
                          ps.copies);
    metrics_write_counter(w, "thindesk_pixels_copied_total", "pixels sent as copies",
                          ps.copied_pixels);
    metrics_write_counter(w, "thindesk_capture_failures_total",
                          "grabs that failed (resize races)", ps.failed);
    metrics_write_counter(w, "thindesk_grab_cpu_seconds_total",
                          "main-thread CPU time spent grabbing", ps.grab_cpu_usec / 1e6);
    metrics_write_histogram(w, "thindesk_grab_seconds",
                            "wall time to collect damage, grab and hand over a frame",
                            a->grab_hist);
    metrics_write_gauge(w, "thindesk_clients_connected", "clients connected now",
                        a->client_address ? 1 : 0);
    metrics_write_counter(w, "thindesk_client_connections_total", "client connections so far",
                          a->connections);
}

/* --video=stream: one stream device serves every client display, so the
 * codec is the stream's (all its clients get the same one). */
static void video_metrics(struct metrics_writer *w, void *data)
{
    struct agent *a = data;
    struct stream_pump_stats vs;
    stream_pump_get_stats(a->vpump, &vs);
    metrics_write_counter(w, "thindesk_video_frames_encoded_total",
                          "frames the video stream encoded (JPEG or H.264)", vs.encodes);
    metrics_write_header(w, "thindesk_video_frames_sent_total", "counter",
                         "frames queued for the stream's clients, per codec");
    metrics_write_sample(w, "thindesk_video_frames_sent_total", "codec=\"h264\"", vs.h264_frames);
    metrics_write_sample(w, "thindesk_video_frames_sent_total", "codec=\"mjpeg\"",
                         vs.sent - vs.h264_frames);
    metrics_write_counter(w, "thindesk_video_frames_dropped_total",
                          "frames dropped: the port full, superseded, or nobody watching",
                          vs.dropped);
    metrics_write_counter(w, "thindesk_video_frames_skipped_total",
                          "frames the H.264 rate control skipped", vs.h264_skipped);
    metrics_write_counter(w, "thindesk_video_bytes_total", "encoded bytes queued for clients",
                          vs.jpeg_bytes);
    metrics_write_counter(w, "thindesk_video_encode_seconds_total",
                          "wall time of the encodes (divide by frames encoded: per frame)",
                          vs.encode_us / 1e6);
    metrics_write_counter(w, "thindesk_video_encode_cpu_seconds_total",
                          "CPU time of the encoding threads", vs.encode_cpu_us / 1e6);
    metrics_write_gauge(w, "thindesk_video_bitrate_kbps", "H.264 target bitrate, kbit/s",
                        vs.bitrate_kbps);
    metrics_write_counter(w, "thindesk_video_h264_fallbacks_total",
                          "H.264 stream errors that switched the client to MJPEG",
                          vs.h264_fallbacks);
    metrics_write_header(w, "thindesk_video_client_codec", "gauge",
                         "1 for the codec the stream's clients get now");
    static const char *const codecs[] = {"h264", "mjpeg"};
    for (size_t i = 0; i < G_N_ELEMENTS(codecs); i++) {
        g_autofree char *label = g_strdup_printf("codec=\"%s\"", codecs[i]);
        metrics_write_sample(w, "thindesk_video_client_codec", label,
                             strcmp(vs.codec, codecs[i]) == 0 ? 1 : 0);
    }
}

/* Control socket and metrics endpoint: before anything heavy starts, so a
 * refused path or a port in use stops the agent early. */
bool agent_start_ops(struct agent *a, char **ret_error)
{
    const struct agent_options *o = a->opts;
    if (!o->control_socket || strcmp(o->control_socket, "none") != 0) {
        g_autofree char *path = o->control_socket ? g_strdup(o->control_socket)
                                                  : control_default_path();
        a->control = control_create(path, ret_error);
        if (!a->control)
            return false;
    }
    if (o->metrics_host) {
        a->metrics = metrics_create(o->metrics_host, o->metrics_port, ret_error);
        if (!a->metrics)
            return false;
        static const double grab_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01,
                                             0.02,   0.05,  0.1,   0.25};
        a->grab_hist = metrics_histogram_new(grab_bounds, G_N_ELEMENTS(grab_bounds));
    }
    return true;
}

void agent_wire_ops(struct agent *a)
{
    control_add_status(a->control, agent_status, a);
    control_add_command(a->control, "disconnect", cmd_disconnect, a);
    control_add_command(a->control, "set-password", cmd_set_password, a);
    metrics_add_collector(a->metrics, agent_metrics, a);
    if (a->vpump)
        metrics_add_collector(a->metrics, video_metrics, a);
    agent_wire_pump(a);
}

void agent_wire_pump(struct agent *a)
{
    if (a->metrics && a->pump)
        frame_pump_set_grab_observer(a->pump, on_grab_timed, a);
}
