/* capture-mutter: GNOME on Wayland, through a screen-cast stream of mutter.
 *
 * The agent owns the Mutter remote-desktop session (input shares it) and
 * hands us a struct capture_stream_source: on start we ask it for a stream,
 * it answers with the PipeWire node, and we consume that node here with a
 * pw_stream on a pw_loop that runs inside the GLib main loop (one thread).
 *
 * Mutter sends a frame only after it painted, so a still screen costs
 * nothing. Buffers are shared memory (MemFd or MemPtr), BGRx. Frames land in
 * a top-down BGRX shadow that grabs read from: with SPA_META_VideoDamage
 * (mutter 44.1 and later) only the damaged boxes are copied; without it
 * (mutter 43) the frame is compared with the shadow in 64x64 tiles and only
 * changed tiles count as damage. The pointer comes as SPA_META_Cursor
 * (cursor-mode metadata), often in buffers without pixels. */
#include "display/capture-priv.h"
#include "display/pipewire-meta.h"
#include "display/tile-diff.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/param/video/raw.h>
#include <spa/pod/builder.h>
#include <string.h>

#define MUTTER_FORMAT_TIMEOUT_MS 15000
#define MUTTER_MAX_DAMAGE_RECTS  16
#define MUTTER_DEFAULT_WIDTH     1280
#define MUTTER_DEFAULT_HEIGHT    720
/* A stream paused this long (its producer gone) counts as ended. */
#define MUTTER_PAUSED_LOST_MS 3000
/* PipeWire restarting: retry this often, this many times. */
#define MUTTER_RECONNECT_MS    500
#define MUTTER_RECONNECT_TRIES 60
/* The compositor ending the session waits this long for news that PipeWire
 * went away (which mutter reacts to first), to tell a restart from an end. */
#define MUTTER_END_GRACE_MS 1000
/* Frames closer than this are motion; when motion stops, mutter 43 may have
 * left out its last frame (throttled, never sent later): once no frame came
 * for MUTTER_SETTLE_MS after motion, connect the stream again, which makes
 * mutter send the screen as it is now. */
#define MUTTER_MOTION_US 1000000
#define MUTTER_SETTLE_MS 300
#define MUTTER_CURSOR_META_SIZE(w, h)                                                              \
    (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (size_t)(w) * (h)*4)

struct pw_gsource {
    GSource base;
    struct pw_loop *loop;
};

struct mutter {
    struct capture *cap;
    struct capture_stream_source source;
    int max_fps;

    struct pw_loop *loop;
    struct pw_gsource *gsource;
    struct pw_context *context;
    struct pw_core *core;
    struct spa_hook core_listener;
    struct pw_stream *stream;
    struct spa_hook stream_listener;

    bool open; /* asked the source for a stream */
    uint32_t node;
    bool have_format;   /* (create's wait) */
    bool streaming;     /* reached PW_STREAM_STATE_STREAMING */
    guint paused_timer; /* streaming -> paused: lost unless it resumes */
    guint reconnect;    /* PipeWire went away: retrying */
    int reconnect_tries;
    guint end_timer; /* the session ended: lost, unless PipeWire restarts */
    char *end_reason;
    int width, height; /* of the negotiated format */
    int want_w, want_h; /* the client's size for a virtual monitor; 0: none */

    uint8_t *shadow; /* cap->width x cap->height BGRX */
    struct damage *pending;
    bool notified;
    bool full_next; /* the next frame is damaged everywhere */
    uint32_t cursor_serial;
    bool warned_meta;
    bool lost;
    uint64_t frames;
    gint64 last_frame_us;
    guint settle_timer;
};

static void mutter_lost(struct mutter *m, const char *why)
{
    if (m->lost)
        return;
    m->lost = true;
    g_autofree char *message = g_strdup_printf("GNOME screen cast: %s", why);
    capture_emit_lost(m->cap, message);
}

static gboolean on_end_grace(gpointer data)
{
    struct mutter *m = data;
    m->end_timer = 0;
    mutter_lost(m, m->end_reason);
    return G_SOURCE_REMOVE;
}

/* The stream or the session ended while open: lost, unless PipeWire turns
 * out to be restarting (its end comes first, or within a second). */
static void mutter_end(struct mutter *m, const char *why)
{
    if (m->reconnect || m->lost)
        return;
    g_free(m->end_reason);
    m->end_reason = g_strdup(why);
    if (!m->end_timer)
        m->end_timer = g_timeout_add(MUTTER_END_GRACE_MS, on_end_grace, m);
}

/* --- pw_loop inside the GLib main loop --- */

static gboolean pw_gsource_dispatch(GSource *base, GSourceFunc callback, gpointer user_data)
{
    struct pw_gsource *s = (struct pw_gsource *)base;
    int rc = pw_loop_iterate(s->loop, 0);
    if (rc < 0 && rc != -EINTR)
        g_debug("pw_loop_iterate: %s", g_strerror(-rc));
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs pw_gsource_funcs = {
    .dispatch = pw_gsource_dispatch,
};

/* --- frames --- */

static void mutter_notify(struct mutter *m)
{
    if (damage_is_empty(m->pending) || m->notified || !m->cap->running)
        return;
    m->notified = true;
    capture_emit_damage_pending(m->cap);
}

static void mutter_resize(struct mutter *m, int width, int height)
{
    g_free(m->shadow);
    m->shadow = g_malloc0((size_t)width * height * 4);
    damage_resize(m->pending, width, height);
    damage_clear(m->pending);
    m->full_next = true;
    if (m->cap->width == width && m->cap->height == height)
        return;
    if (m->cap->width == 0) {
        /* create's first format: no one to tell yet */
        m->cap->width = width;
        m->cap->height = height;
        return;
    }
    g_message("GNOME screen cast is now %dx%d", width, height);
    capture_emit_resized(m->cap, width, height);
}

static void mutter_cursor(struct mutter *m, struct spa_buffer *sb)
{
    struct spa_meta *meta = spa_buffer_find_meta(sb, SPA_META_Cursor);
    if (!meta || !meta->data)
        return;
    struct pipewire_cursor pc;
    int rc = pipewire_meta_parse_cursor(meta->data, meta->size, m->cursor_serial + 1, &pc);
    if (rc < 0 && !m->warned_meta) {
        m->warned_meta = true;
        g_warning("GNOME screen cast: ignoring malformed cursor metadata");
    }
    if (rc <= 0 || !pc.new_shape)
        return;
    m->cursor_serial++;
    if (pc.hidden) {
        uint32_t clear = 0;
        capture_emit_cursor(m->cap, cursor_image_new(1, 1, 0, 0, m->cursor_serial, &clear));
        return;
    }
    capture_emit_cursor(m->cap, pc.image);
}

/* Adds the damage @sb reports to @rects/@n; false when it reports none (or
 * too much), so the frame has to be diffed. */
static bool mutter_buffer_damage(struct mutter *m, struct spa_buffer *sb, struct damage_rect *rects,
                                 int *n, int max)
{
    struct spa_meta *meta = spa_buffer_find_meta(sb, SPA_META_VideoDamage);
    if (!meta || !meta->data)
        return false;
    int got = pipewire_meta_parse_damage(meta->data, meta->size, m->width, m->height, rects + *n,
                                         max - *n);
    /* Too many boxes, or none (a meta the producer left empty): diff. */
    if (got <= 0)
        return false;
    *n += got;
    return true;
}

/* Where the pixels of @sb start, with their stride; NULL when it has none
 * (a cursor-only buffer) or they do not fit the format. */
static const uint8_t *mutter_buffer_pixels(struct mutter *m, struct spa_buffer *sb,
                                           size_t *ret_stride)
{
    if (sb->n_datas < 1)
        return NULL;
    struct spa_data *d = &sb->datas[0];
    if (!d->data || !d->chunk || d->chunk->size == 0)
        return NULL;
    size_t stride = d->chunk->stride > 0 ? (size_t)d->chunk->stride : (size_t)m->width * 4;
    uint64_t need =
        (uint64_t)d->chunk->offset + stride * (uint64_t)(m->height - 1) + (uint64_t)m->width * 4;
    if (stride < (size_t)m->width * 4 || need > d->maxsize) {
        g_debug("GNOME screen cast: buffer too small for %dx%d", m->width, m->height);
        return NULL;
    }
    *ret_stride = stride;
    return (const uint8_t *)d->data + d->chunk->offset;
}

static int mutter_stream_connect(struct mutter *m, uint32_t node);
static void mutter_stream_close(struct mutter *m);

static gboolean on_settle(gpointer data)
{
    struct mutter *m = data;
    m->settle_timer = 0;
    uint32_t node = m->node;
    if (!m->open || !m->stream || !node || m->reconnect || m->lost)
        return G_SOURCE_REMOVE;
    g_debug("GNOME screen cast: motion stopped; asking for the settled screen");
    mutter_stream_close(m);
    int rc = mutter_stream_connect(m, node);
    if (rc < 0) {
        g_autofree char *why =
            g_strdup_printf("cannot connect to PipeWire node %u: %s", node, g_strerror(-rc));
        mutter_lost(m, why);
    }
    return G_SOURCE_REMOVE;
}

static void on_process(void *data)
{
    struct mutter *m = data;
    struct pw_buffer *b, *newest = NULL;
    struct damage_rect rects[MUTTER_MAX_DAMAGE_RECTS];
    int n_rects = 0;
    bool trust = true;
    while ((b = pw_stream_dequeue_buffer(m->stream))) {
        struct spa_buffer *sb = b->buffer;
        mutter_cursor(m, sb);
        struct spa_meta_header *h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h));
        size_t stride;
        bool frame = !(h && (h->flags & SPA_META_HEADER_FLAG_CORRUPTED)) &&
                     mutter_buffer_pixels(m, sb, &stride);
        if (!frame) {
            pw_stream_queue_buffer(m->stream, b);
            continue;
        }
        /* Damage of every frame counts: the newest holds all their changes. */
        if (trust && !mutter_buffer_damage(m, sb, rects, &n_rects, G_N_ELEMENTS(rects)))
            trust = false;
        if (newest)
            pw_stream_queue_buffer(m->stream, newest);
        newest = b;
    }
    if (!newest)
        return;
    size_t stride = 0;
    const uint8_t *pixels = mutter_buffer_pixels(m, newest->buffer, &stride);
    size_t shadow_stride = (size_t)m->width * 4;
    m->frames++;
    if (m->full_next) {
        struct damage_rect all = {0, 0, m->width, m->height};
        tile_diff_copy_rect(m->shadow, shadow_stride, pixels, stride, &all, m->pending);
        m->full_next = false;
    } else if (trust) {
        for (int i = 0; i < n_rects; i++)
            tile_diff_copy_rect(m->shadow, shadow_stride, pixels, stride, &rects[i], m->pending);
    } else {
        tile_diff_update(m->shadow, shadow_stride, pixels, stride, m->width, m->height,
                         TILE_DIFF_SIZE, m->pending);
    }
    pw_stream_queue_buffer(m->stream, newest);
    mutter_notify(m);
    gint64 now = g_get_monotonic_time();
    if (now - m->last_frame_us < MUTTER_MOTION_US) {
        if (m->settle_timer)
            g_source_remove(m->settle_timer);
        m->settle_timer = g_timeout_add(MUTTER_SETTLE_MS, on_settle, m);
    }
    m->last_frame_us = now;
}

/* --- format negotiation --- */

static void mutter_update_params(struct mutter *m)
{
    uint8_t buffer[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[4];
    params[0] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers,
        SPA_POD_CHOICE_RANGE_Int(4, 2, 8), SPA_PARAM_BUFFERS_dataType,
        SPA_POD_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
    params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
                                           SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
                                           SPA_PARAM_META_size,
                                           SPA_POD_Int(sizeof(struct spa_meta_header)));
    params[2] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_VideoDamage), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(sizeof(struct spa_meta_region) * MUTTER_MAX_DAMAGE_RECTS,
                                 sizeof(struct spa_meta_region),
                                 sizeof(struct spa_meta_region) * MUTTER_MAX_DAMAGE_RECTS));
    params[3] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
        SPA_POD_Id(SPA_META_Cursor), SPA_PARAM_META_size,
        SPA_POD_CHOICE_RANGE_Int(
            MUTTER_CURSOR_META_SIZE(PIPEWIRE_CURSOR_MAX, PIPEWIRE_CURSOR_MAX),
            MUTTER_CURSOR_META_SIZE(1, 1),
            MUTTER_CURSOR_META_SIZE(PIPEWIRE_CURSOR_MAX, PIPEWIRE_CURSOR_MAX)));
    pw_stream_update_params(m->stream, params, G_N_ELEMENTS(params));
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
    struct mutter *m = data;
    if (id != SPA_PARAM_Format || !param)
        return;
    struct spa_video_info_raw info = {0};
    if (spa_format_video_raw_parse(param, &info) < 0 || info.size.width == 0 ||
        info.size.height == 0 || info.size.width > 16384 || info.size.height > 16384) {
        mutter_lost(m, "the compositor offered a video format we cannot read");
        return;
    }
    if (info.format != SPA_VIDEO_FORMAT_BGRx && info.format != SPA_VIDEO_FORMAT_BGRA) {
        mutter_lost(m, "the compositor offered a pixel format other than BGRx");
        return;
    }
    g_debug("GNOME screen cast: format %ux%u", info.size.width, info.size.height);
    bool same = m->shadow && (int)info.size.width == m->width && (int)info.size.height == m->height;
    m->width = (int)info.size.width;
    m->height = (int)info.size.height;
    m->have_format = true;
    /* The same size again (a new stream, a renegotiation) keeps the shadow:
     * a frame that already arrived stays. */
    if (!same)
        mutter_resize(m, m->width, m->height);
    mutter_update_params(m);
}

static gboolean on_paused_too_long(gpointer data)
{
    struct mutter *m = data;
    m->paused_timer = 0;
    mutter_end(m, "the PipeWire stream stopped (did the compositor end the screen cast?)");
    return G_SOURCE_REMOVE;
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
                             const char *error)
{
    struct mutter *m = data;
    g_debug("GNOME screen cast: stream %s -> %s", pw_stream_state_as_string(old),
            pw_stream_state_as_string(state));
    if (state == PW_STREAM_STATE_STREAMING) {
        m->streaming = true;
        if (m->paused_timer)
            g_source_remove(m->paused_timer);
        m->paused_timer = 0;
    } else if (state == PW_STREAM_STATE_PAUSED && old == PW_STREAM_STATE_STREAMING && m->open &&
               !m->paused_timer) {
        /* Mutter never pauses its consumer; a renegotiation passes quickly. */
        m->paused_timer = g_timeout_add(MUTTER_PAUSED_LOST_MS, on_paused_too_long, m);
    }
    if (state == PW_STREAM_STATE_ERROR) {
        g_autofree char *why =
            g_strdup_printf("the PipeWire stream failed: %s", error ? error : "unknown error");
        mutter_end(m, why);
    } else if (state == PW_STREAM_STATE_UNCONNECTED && m->open &&
               old != PW_STREAM_STATE_UNCONNECTED) {
        mutter_end(m, "the PipeWire stream ended (did the compositor stop the screen cast?)");
    }
}

static const struct pw_stream_events stream_events = {
    PW_VERSION_STREAM_EVENTS,
    .state_changed = on_state_changed,
    .param_changed = on_param_changed,
    .process = on_process,
};

static gboolean on_reconnect(gpointer data);

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
    struct mutter *m = data;
    if (id != PW_ID_CORE)
        return;
    if (res == -EPIPE && !m->lost) {
        /* The daemon went away: it may come back (a restart). Tear down
         * outside this callback, then reconnect. */
        if (!m->reconnect) {
            g_warning("GNOME screen cast: PipeWire went away; reconnecting");
            m->reconnect_tries = 0;
            m->reconnect = g_timeout_add(MUTTER_RECONNECT_MS, on_reconnect, m);
        }
        if (m->end_timer) {
            /* mutter's end of the session was this restart */
            g_source_remove(m->end_timer);
            m->end_timer = 0;
        }
        return;
    }
    g_autofree char *why = g_strdup_printf("PipeWire: %s", message ? message : g_strerror(-res));
    mutter_lost(m, why);
}

static const struct pw_core_events core_events = {
    PW_VERSION_CORE_EVENTS,
    .error = on_core_error,
};

static void mutter_stream_close(struct mutter *m);
static void mutter_open(struct mutter *m);
static void mutter_close(struct mutter *m);

static gboolean on_reconnect(gpointer data)
{
    struct mutter *m = data;
    if (m->core) {
        /* First round: drop what belonged to the old daemon, and the
         * compositor's session, whose stream died with it. */
        bool was_open = m->open;
        mutter_close(m);
        m->open = was_open; /* reopened below */
        spa_hook_remove(&m->core_listener);
        pw_core_disconnect(m->core);
        m->core = NULL;
    }
    m->core = pw_context_connect(m->context, NULL, 0);
    if (!m->core) {
        if (++m->reconnect_tries < MUTTER_RECONNECT_TRIES)
            return G_SOURCE_CONTINUE;
        m->reconnect = 0;
        mutter_lost(m, "PipeWire went away and did not come back within 30 s");
        return G_SOURCE_REMOVE;
    }
    pw_core_add_listener(m->core, &m->core_listener, &core_events, m);
    m->reconnect = 0;
    g_message("GNOME screen cast: PipeWire is back%s",
              m->open ? "; opening the screen cast again" : "");
    if (m->open) {
        m->open = false;
        mutter_open(m);
    }
    return G_SOURCE_REMOVE;
}

static void mutter_stream_close(struct mutter *m)
{
    if (m->stream) {
        spa_hook_remove(&m->stream_listener);
        pw_stream_destroy(m->stream);
        m->stream = NULL;
    }
    m->streaming = false;
    if (m->paused_timer)
        g_source_remove(m->paused_timer);
    m->paused_timer = 0;
    if (m->settle_timer)
        g_source_remove(m->settle_timer);
    m->settle_timer = 0;
    m->node = 0;
}

/* The formats we take: BGRx (or BGRA) at any size, the current one (or the
 * one the client asked for) preferred; exactly that size for a virtual
 * monitor being resized, which makes mutter resize the monitor. */
static const struct spa_pod *mutter_enum_format(struct mutter *m, struct spa_pod_builder *b)
{
    int w = m->want_w > 0 ? m->want_w : m->width > 0 ? m->width : MUTTER_DEFAULT_WIDTH;
    int h = m->want_h > 0 ? m->want_h : m->height > 0 ? m->height : MUTTER_DEFAULT_HEIGHT;
    int fps = m->max_fps > 0 ? m->max_fps : 60;
    struct spa_pod_frame f;
    spa_pod_builder_push_object(b, &f, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
    spa_pod_builder_add(b, SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
                        SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
                        SPA_FORMAT_VIDEO_format,
                        SPA_POD_CHOICE_ENUM_Id(3, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRx,
                                               SPA_VIDEO_FORMAT_BGRA),
                        0);
    if (m->want_w > 0)
        spa_pod_builder_add(b, SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE(w, h)), 0);
    else
        spa_pod_builder_add(b, SPA_FORMAT_VIDEO_size,
                            SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(w, h),
                                                           &SPA_RECTANGLE(1, 1),
                                                           &SPA_RECTANGLE(16384, 16384)),
                            0);
    spa_pod_builder_add(b, SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&SPA_FRACTION(0, 1)),
                        SPA_FORMAT_VIDEO_maxFramerate,
                        SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(fps, 1), &SPA_FRACTION(1, 1),
                                                      &SPA_FRACTION(fps, 1)),
                        0);
    return spa_pod_builder_pop(b, &f);
}

static int mutter_stream_connect(struct mutter *m, uint32_t node)
{
    struct pw_properties *props =
        pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
                          PW_KEY_MEDIA_ROLE, "Screen", NULL);
    m->stream = pw_stream_new(m->core, "thindesk screen cast", props);
    if (!m->stream)
        return -errno ? -errno : -ENOMEM;
    pw_stream_add_listener(m->stream, &m->stream_listener, &stream_events, m);
    uint8_t buffer[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[1] = {mutter_enum_format(m, &b)};
    int rc = pw_stream_connect(m->stream, PW_DIRECTION_INPUT, node,
                               PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 1);
    if (rc < 0) {
        mutter_stream_close(m);
        return rc;
    }
    m->node = node;
    return 0;
}

static void on_stream_ready(uint32_t node, const char *error, void *data)
{
    struct mutter *m = data;
    if (!m->open) {
        /* Between clients only the compositor's end is news. */
        if (!node)
            mutter_lost(m, error ? error : "the compositor went away");
        return;
    }
    if (!node) {
        /* While PipeWire restarts mutter ends its session: we reopen. */
        mutter_end(m, error ? error : "the compositor closed the screen cast");
        return;
    }
    mutter_stream_close(m);
    int rc = mutter_stream_connect(m, node);
    if (rc < 0) {
        g_autofree char *why =
            g_strdup_printf("cannot connect to PipeWire node %u: %s", node, g_strerror(-rc));
        mutter_lost(m, why);
        return;
    }
    g_debug("GNOME screen cast: consuming PipeWire node %u", node);
}

static void mutter_open(struct mutter *m)
{
    if (m->open)
        return;
    m->open = true;
    m->full_next = true;
    m->source.open(m->source.data, on_stream_ready, m);
}

static void mutter_close(struct mutter *m)
{
    if (!m->open)
        return;
    m->open = false;
    mutter_stream_close(m);
    m->source.close(m->source.data);
}

/* --- ops --- */

static void mutter_free(struct mutter *m)
{
    mutter_close(m);
    if (m->source.watch)
        m->source.watch(m->source.data, NULL, NULL);
    if (m->reconnect)
        g_source_remove(m->reconnect);
    if (m->end_timer)
        g_source_remove(m->end_timer);
    g_free(m->end_reason);
    if (m->core) {
        spa_hook_remove(&m->core_listener);
        pw_core_disconnect(m->core);
    }
    if (m->context)
        pw_context_destroy(m->context);
    if (m->gsource) {
        g_source_destroy(&m->gsource->base);
        g_source_unref(&m->gsource->base);
    }
    if (m->loop) {
        pw_loop_leave(m->loop);
        pw_loop_destroy(m->loop);
    }
    damage_destroy(m->pending);
    g_free(m->shadow);
    g_free(m);
}

static gboolean on_format_timeout(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

static int mutter_create(struct capture *cap, const struct capture_config *config, char **ret_error)
{
    if (!config->stream_source || !config->stream_source->open) {
        *ret_error = g_strdup("--capture=mutter needs the agent's GNOME remote-desktop session");
        return -EINVAL;
    }
    pw_init(NULL, NULL);
    struct mutter *m = g_new0(struct mutter, 1);
    m->cap = cap;
    m->source = *config->stream_source;
    m->max_fps = config->max_fps;
    m->pending = damage_create(1, 1);
    int rc = -ENODEV;
    m->loop = pw_loop_new(NULL);
    if (!m->loop) {
        *ret_error = g_strdup_printf("cannot create a PipeWire loop: %s", g_strerror(errno));
        goto err_free;
    }
    pw_loop_enter(m->loop);
    m->gsource = (struct pw_gsource *)g_source_new(&pw_gsource_funcs, sizeof(struct pw_gsource));
    m->gsource->loop = m->loop;
    g_source_add_unix_fd(&m->gsource->base, pw_loop_get_fd(m->loop), G_IO_IN | G_IO_ERR);
    g_source_set_name(&m->gsource->base, "thindesk pipewire");
    g_source_attach(&m->gsource->base, NULL);
    m->context = pw_context_new(m->loop, NULL, 0);
    if (!m->context) {
        *ret_error = g_strdup_printf("cannot create a PipeWire context: %s", g_strerror(errno));
        goto err_free;
    }
    m->core = pw_context_connect(m->context, NULL, 0);
    if (!m->core) {
        *ret_error = g_strdup_printf("cannot connect to the PipeWire daemon: %s (GNOME's screen "
                                     "cast needs pipewire and wireplumber running in the session)",
                                     g_strerror(errno));
        goto err_free;
    }
    pw_core_add_listener(m->core, &m->core_listener, &core_events, m);

    /* The screen size, from the compositor's monitor configuration if it
     * says; else from one short session (the real one opens when a client
     * connects). The main loop does not run yet: iterate here. */
    int w = 0, h = 0;
    if (m->source.get_size && m->source.get_size(m->source.data, &w, &h) == 0) {
        g_debug("GNOME screen cast: %dx%d by the monitor configuration", w, h);
        cap->width = m->width = w;
        cap->height = m->height = h;
        m->shadow = g_malloc0((size_t)w * h * 4);
        damage_resize(m->pending, w, h);
        damage_clear(m->pending);
        if (m->source.watch)
            m->source.watch(m->source.data, on_stream_ready, m);
        cap->priv = m;
        return 0;
    }
    mutter_open(m);
    bool timed_out = false;
    guint timer = g_timeout_add(MUTTER_FORMAT_TIMEOUT_MS, on_format_timeout, &timed_out);
    while (!m->have_format && !m->lost && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(timer);
    if (!m->have_format) {
        *ret_error = g_strdup(
            timed_out ? "GNOME screen cast: no video format from mutter within 15 s (is "
                        "wireplumber running?)"
                      : "GNOME screen cast: the stream failed before it started (see above)");
        goto err_free;
    }
    mutter_close(m);
    g_debug("GNOME screen cast: %dx%d", cap->width, cap->height);
    cap->priv = m;
    return 0;

err_free:
    /* Errors from here on are the creator's to report: no lost event. */
    m->lost = true;
    mutter_free(m);
    return rc;
}

static void mutter_destroy(struct capture *cap)
{
    mutter_free(cap->priv);
}

static void mutter_start(struct capture *cap)
{
    struct mutter *m = cap->priv;
    m->notified = false;
    mutter_open(m);
}

static void mutter_stop(struct capture *cap)
{
    struct mutter *m = cap->priv;
    m->notified = false;
    mutter_close(m);
}

static void mutter_collect_damage(struct capture *cap, struct damage *damage)
{
    struct mutter *m = cap->priv;
    m->notified = false;
    struct damage_rect rects[64];
    int n;
    while ((n = damage_take(m->pending, rects, G_N_ELEMENTS(rects))) > 0)
        for (int i = 0; i < n; i++)
            damage_add(damage, rects[i].x, rects[i].y, rects[i].w, rects[i].h);
}

static struct frame *mutter_grab(struct capture *cap, const struct damage_rect *rects, int n)
{
    struct mutter *m = cap->priv;
    if (m->lost || !m->shadow)
        return NULL;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)rects[i].w * rects[i].h * 4;
    struct frame *frame = frame_new(total);
    uint8_t *dst = frame->data;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        for (int y = 0; y < r->h; y++) {
            memcpy(dst, m->shadow + ((size_t)(r->y + y) * cap->width + r->x) * 4, (size_t)r->w * 4);
            dst += (size_t)r->w * 4;
        }
    }
    return frame;
}

/* A virtual monitor takes the size of its stream's format: ask for the
 * client's. A real monitor keeps its own (DisplayConfig lists its modes). */
static int mutter_request_size(struct capture *cap, int width, int height, char **ret_reason)
{
    struct mutter *m = cap->priv;
    if (!m->source.is_virtual || !m->source.is_virtual(m->source.data)) {
        *ret_reason = g_strdup("GNOME's screen is a monitor of fixed size (only a virtual "
                               "monitor of the agent's own follows the client)");
        return -ENOTSUP;
    }
    if (width == m->want_w && height == m->want_h)
        return 0;
    m->want_w = width;
    m->want_h = height;
    g_message("GNOME screen cast: asking mutter for a %dx%d virtual monitor", width, height);
    if (m->stream) {
        uint8_t buffer[1024];
        struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
        const struct spa_pod *params[1] = {mutter_enum_format(m, &b)};
        pw_stream_update_params(m->stream, params, 1);
    }
    return 0;
}

/* Whether mutter's screen cast is on the session bus; @where is unused. */
static int mutter_probe(const char *where, char **ret_reason)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    if (!bus) {
        *ret_reason = g_strdup_printf("no D-Bus session bus: %s", error->message);
        return -ENOTCONN;
    }
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", "org.gnome.Mutter.ScreenCast"), G_VARIANT_TYPE("(b)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    if (!reply) {
        *ret_reason = g_strdup_printf("the D-Bus session bus did not answer: %s", error->message);
        return -EIO;
    }
    gboolean owned = FALSE;
    g_variant_get(reply, "(b)", &owned);
    *ret_reason = g_strdup(owned ? "org.gnome.Mutter.ScreenCast is on the session bus"
                                 : "org.gnome.Mutter.ScreenCast is not on the session bus");
    return owned ? 1 : 0;
}

const struct capture_ops capture_mutter_ops = {
    .name = "mutter",
    .create = mutter_create,
    .destroy = mutter_destroy,
    .start = mutter_start,
    .stop = mutter_stop,
    .collect_damage = mutter_collect_damage,
    .grab = mutter_grab,
    .request_size = mutter_request_size,
    .probe = mutter_probe,
};
