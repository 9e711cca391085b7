/* The agent protocol core: chunking, reassembly, caps, validation, reset. */
#include <glib.h>
#include <spice/vd_agent.h>
#include <string.h>

#include "agent/vdagent-proto.h"

struct rec {
    GString *log; /* one line per handler call */
    uint32_t last_types[VDAGENT_PROTO_MAX_GRAB_TYPES];
    GByteArray *clip;
    struct vdagent_monitor mons[VDAGENT_PROTO_MAX_MONITORS];
    int n_mons;
    int outputs;
};

static void h_output(void *u)
{
    ((struct rec *)u)->outputs++;
}
static void h_mouse(int x, int y, uint32_t b, int id, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "mouse %d,%d b%u d%d;", x, y, b, id);
}
static void h_mons(const struct vdagent_monitor *m, int n, void *u)
{
    struct rec *r = u;
    memcpy(r->mons, m, sizeof(*m) * n);
    r->n_mons = n;
    g_string_append_printf(r->log, "mons %d;", n);
}
static void h_grab(int sel, const uint32_t *t, int n, void *u)
{
    struct rec *r = u;
    memcpy(r->last_types, t, 4 * n);
    g_string_append_printf(r->log, "grab s%d n%d;", sel, n);
}
static void h_request(int sel, uint32_t type, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "request s%d t%u;", sel, type);
}
static void h_data(int sel, uint32_t type, const uint8_t *d, size_t len, void *u)
{
    struct rec *r = u;
    g_byte_array_set_size(r->clip, 0);
    g_byte_array_append(r->clip, d, len);
    g_string_append_printf(r->log, "data s%d t%u l%zu;", sel, type, len);
}
static void h_release(int sel, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "release s%d;", sel);
}
static void h_xstart(uint32_t id, const char *kf, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "xstart %u [%s];", id, kf);
}
static void h_xdata(uint32_t id, const uint8_t *d, size_t len, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "xdata %u l%zu;", id, len);
}
static void h_xstatus(uint32_t id, uint32_t result, void *u)
{
    g_string_append_printf(((struct rec *)u)->log, "xstatus %u r%u;", id, result);
}
static void h_volume(bool playback, bool mute, const uint16_t *v, int n, void *u)
{
    GString *log = ((struct rec *)u)->log;
    g_string_append_printf(log, "volume %s%s n%d", playback ? "play" : "rec",
                           mute ? " muted" : "", n);
    for (int i = 0; i < n; i++)
        g_string_append_printf(log, " %u", v[i]);
    g_string_append(log, ";");
}
static void h_disc(void *u)
{
    g_string_append(((struct rec *)u)->log, "disconnected;");
}

struct fixture {
    struct rec rec;
    struct vdagent_proto *p;
};

static void setup_full(struct fixture *f, uint32_t max_message, bool file_xfer,
                       bool audio_volume)
{
    memset(f, 0, sizeof(*f));
    f->rec.log = g_string_new("");
    f->rec.clip = g_byte_array_new();
    struct vdagent_proto_handlers h = {
        .mouse_state = h_mouse, .monitors_config = h_mons,
        .clipboard_grab = h_grab, .clipboard_request = h_request, .clipboard_data = h_data,
        .clipboard_release = h_release, .file_xfer_start = h_xstart,
        .file_xfer_data = h_xdata, .file_xfer_status = h_xstatus,
        .audio_volume = h_volume, .client_disconnected = h_disc, .user_data = &f->rec};
    struct vdagent_proto_config c = {.max_message = max_message, .clipboard = true,
                                     .file_xfer = file_xfer, .audio_volume = audio_volume};
    f->p = vdagent_proto_create(&c, &h);
    vdagent_proto_set_output_notify(f->p, h_output, &f->rec);
}

static void setup_with(struct fixture *f, uint32_t max_message, bool file_xfer)
{
    setup_full(f, max_message, file_xfer, true);
}

static void setup(struct fixture *f, gconstpointer data)
{
    setup_with(f, 1 << 20, true);
}

static void teardown(struct fixture *f, gconstpointer data)
{
    vdagent_proto_destroy(f->p);
    g_string_free(f->rec.log, TRUE);
    g_byte_array_unref(f->rec.clip);
}

/* Feeds one message from the client, in pieces of @step bytes. */
static void feed_msg(struct fixture *f, uint32_t port, uint32_t type, const void *data,
                     size_t len, size_t step)
{
    size_t n;
    g_autofree uint8_t *buf = vdagent_proto_encode(port, type, data, len, &n);
    for (size_t off = 0; off < n; off += step)
        vdagent_proto_feed(f->p, buf + off, MIN(step, n - off));
}

static void feed(struct fixture *f, uint32_t type, const void *data, size_t len)
{
    feed_msg(f, VDP_CLIENT_PORT, type, data, len, 1 << 20);
}

static void put32(uint8_t *b, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(b, &v, 4);
}

static uint32_t get32(const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return GUINT32_FROM_LE(v);
}

/* Reads every queued output message; returns them as (type, payload) pairs
 * after checking the chunk framing spice-server relies on. */
static GPtrArray *drain(struct fixture *f)
{
    GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    size_t total = vdagent_proto_pending(f->p);
    g_autofree uint8_t *buf = g_malloc(total + 1);
    /* odd read sizes, as spice-server reads header and data separately */
    size_t got = 0;
    while (got < total)
        got += vdagent_proto_read(f->p, buf + got, MIN(7, total - got));
    g_assert_cmpuint(vdagent_proto_read(f->p, buf, 1), ==, 0);
    GByteArray *msg = NULL;
    uint32_t msg_left = 0;
    for (size_t pos = 0; pos < total;) {
        uint32_t port = get32(buf + pos), size = get32(buf + pos + 4);
        g_assert_cmpuint(port, ==, VDP_CLIENT_PORT);
        g_assert_cmpuint(size, <=, VD_AGENT_MAX_DATA_SIZE);
        g_assert_cmpuint(size, >, 0);
        pos += 8;
        if (!msg) {
            /* a chunk starts a message: its header is inside (spice-server's filter) */
            g_assert_cmpuint(size, >=, 20);
            g_assert_cmpuint(get32(buf + pos), ==, VD_AGENT_PROTOCOL);
            msg_left = get32(buf + pos + 16) + 20;
            msg = g_byte_array_new();
        }
        g_assert_cmpuint(size, <=, msg_left); /* never two messages in one chunk */
        g_byte_array_append(msg, buf + pos, size);
        msg_left -= size;
        pos += size;
        if (msg_left == 0) {
            g_ptr_array_add(msgs, g_byte_array_free_to_bytes(msg));
            msg = NULL;
        }
    }
    g_assert_null(msg);
    return msgs;
}

static uint32_t msg_type(GBytes *b)
{
    return get32((const uint8_t *)g_bytes_get_data(b, NULL) + 4);
}

static const uint8_t *msg_data(GBytes *b, size_t *ret_len)
{
    size_t n;
    const uint8_t *d = g_bytes_get_data(b, &n);
    *ret_len = n - 20;
    return d + 20;
}

/* The client as spice-gtk 0.42 announces itself. */
static void announce_client(struct fixture *f, bool request)
{
    uint8_t caps[8] = {0};
    uint32_t bits = 0;
    unsigned list[] = {VD_AGENT_CAP_MOUSE_STATE, VD_AGENT_CAP_MONITORS_CONFIG,
                       VD_AGENT_CAP_REPLY, VD_AGENT_CAP_DISPLAY_CONFIG,
                       VD_AGENT_CAP_CLIPBOARD_BY_DEMAND, VD_AGENT_CAP_CLIPBOARD_SELECTION,
                       VD_AGENT_CAP_MONITORS_CONFIG_POSITION,
                       VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS,
                       VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB,
                       VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL};
    for (size_t i = 0; i < G_N_ELEMENTS(list); i++)
        bits |= 1u << list[i];
    put32(caps, request);
    put32(caps + 4, bits);
    feed(f, VD_AGENT_ANNOUNCE_CAPABILITIES, caps, sizeof(caps));
}

static void test_caps(struct fixture *f, gconstpointer data)
{
    g_assert_false(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_CLIPBOARD_SELECTION));
    announce_client(f, true);
    g_assert_true(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_CLIPBOARD_SELECTION));
    g_assert_true(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL));
    g_assert_false(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_SPARSE_MONITORS_CONFIG));
    g_assert_false(vdagent_proto_peer_has(f->p, 5000));
    /* request = 1: we answer with ours, request = 0, and say output waits */
    g_assert_cmpint(f->rec.outputs, ==, 1);
    g_autoptr(GPtrArray) out = drain(f);
    g_assert_cmpuint(out->len, ==, 1);
    g_assert_cmpuint(msg_type(out->pdata[0]), ==, VD_AGENT_ANNOUNCE_CAPABILITIES);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(n, ==, 4 + VD_AGENT_CAPS_BYTES);
    g_assert_cmpuint(get32(d), ==, 0);
    uint32_t caps = get32(d + 4);
    g_assert_true(caps & (1u << VD_AGENT_CAP_MONITORS_CONFIG));
    g_assert_true(caps & (1u << VD_AGENT_CAP_SPARSE_MONITORS_CONFIG));
    g_assert_true(caps & (1u << VD_AGENT_CAP_CLIPBOARD_SELECTION));
    g_assert_true(caps & (1u << VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL));
    g_assert_true(caps & (1u << VD_AGENT_CAP_MAX_CLIPBOARD));
    g_assert_true(caps & (1u << VD_AGENT_CAP_AUDIO_VOLUME_SYNC));
    g_assert_false(caps & (1u << VD_AGENT_CAP_FILE_XFER_DISABLED));
    g_assert_false(caps & (1u << VD_AGENT_CAP_CLIPBOARD)); /* only by demand */
    /* request = 0: no answer */
    announce_client(f, false);
    g_assert_cmpuint(vdagent_proto_pending(f->p), ==, 0);
    /* too short */
    feed(f, VD_AGENT_ANNOUNCE_CAPABILITIES, "ab", 2);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 1);
    g_assert_true(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_CLIPBOARD_SELECTION));
}

static void test_caps_disabled_features(void)
{
    struct fixture f;
    setup_full(&f, 4096, false, false);
    vdagent_proto_send_caps(f.p, true);
    g_autoptr(GPtrArray) out = drain(&f);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(get32(d), ==, 1);
    g_assert_true(get32(d + 4) & (1u << VD_AGENT_CAP_FILE_XFER_DISABLED));
    g_assert_false(get32(d + 4) & (1u << VD_AGENT_CAP_AUDIO_VOLUME_SYNC));
    /* without audio, a volume sync is not taken */
    uint8_t sync[5] = {1, 0, 1, 0xff, 0xff};
    feed(&f, VD_AGENT_AUDIO_VOLUME_SYNC, sync, sizeof(sync));
    g_assert_cmpuint(vdagent_proto_rejected(f.p), ==, 1);
    g_assert_cmpstr(f.rec.log->str, ==, "");
    teardown(&f, NULL);
}

/* VD_AGENT_AUDIO_VOLUME_SYNC as spice-gtk sends it, and malformed ones. */
static void test_audio_volume(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    /* stereo playback at 50% (cubic), not muted: spice-gtk's 0.5 * 65535 */
    uint8_t play[3 + 4] = {1, 0, 2, 0xff, 0x7f, 0xff, 0x7f};
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, play, sizeof(play));
    g_assert_cmpstr(f->rec.log->str, ==, "volume play n2 32767 32767;");
    /* muted record stream, channels differ; split at every byte */
    g_string_truncate(f->rec.log, 0);
    uint8_t rec[3 + 4] = {0, 1, 2, 0x00, 0x00, 0xff, 0xff};
    feed_msg(f, VDP_CLIENT_PORT, VD_AGENT_AUDIO_VOLUME_SYNC, rec, sizeof(rec), 1);
    g_assert_cmpstr(f->rec.log->str, ==, "volume rec muted n2 0 65535;");
    /* mono, and the most channels allowed */
    g_string_truncate(f->rec.log, 0);
    uint8_t mono[3 + 2] = {1, 0, 1, 0x34, 0x12};
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, mono, sizeof(mono));
    g_assert_cmpstr(f->rec.log->str, ==, "volume play n1 4660;");
    uint8_t most[3 + 2 * VDAGENT_PROTO_MAX_VOLUME_CHANNELS] = {1, 0,
                                                               VDAGENT_PROTO_MAX_VOLUME_CHANNELS};
    g_string_truncate(f->rec.log, 0);
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, most, sizeof(most));
    g_assert_true(g_str_has_prefix(f->rec.log->str, "volume play n32 0 0"));
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 0);

    /* malformed: each is dropped, nothing reaches the handler */
    g_string_truncate(f->rec.log, 0);
    struct {
        const uint8_t *d;
        size_t len;
    } bad[] = {
        {(const uint8_t *)"", 0},                           /* empty */
        {(const uint8_t *)"\1\0", 2},                       /* shorter than its header */
        {(const uint8_t *)"\1\0\0", 3},                     /* no channels */
        {(const uint8_t *)"\1\0\2\xff\xff", 5},             /* short: 2 channels, 1 value */
        {(const uint8_t *)"\1\0\1\xff\xff\xff\xff", 7},     /* long: 1 channel, 2 values */
        {(const uint8_t *)"\1\0\1\xff", 4},                 /* half a value */
        {(const uint8_t *)"\2\0\1\xff\xff", 5},             /* is_playback 2 */
        {(const uint8_t *)"\1\7\1\xff\xff", 5},             /* mute 7 */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, bad[i].d, bad[i].len);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, G_N_ELEMENTS(bad));
    /* too many channels, with as many values as it claims */
    uint8_t many[3 + 2 * 33] = {1, 0, 33};
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, many, sizeof(many));
    /* the most a u8 count can claim, and oversize beyond it */
    g_autofree uint8_t *huge = g_malloc0(3 + 2 * 255 + 1000);
    huge[0] = 1;
    huge[2] = 255;
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, huge, 3 + 2 * 255);
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, huge, 3 + 2 * 255 + 1000);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, G_N_ELEMENTS(bad) + 3);
    g_assert_cmpstr(f->rec.log->str, ==, "");
    /* no reply is owed for a volume sync, and the stream goes on */
    g_assert_cmpuint(vdagent_proto_pending(f->p), ==, 0);
    feed(f, VD_AGENT_AUDIO_VOLUME_SYNC, play, sizeof(play));
    g_assert_cmpstr(f->rec.log->str, ==, "volume play n2 32767 32767;");
}

/* A message split at every possible byte boundary arrives whole. */
static void test_reassembly_any_split(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    uint8_t msg[4 + 4 + 5000];
    memset(msg, 0, 4);
    msg[0] = VDAGENT_SELECTION_PRIMARY;
    put32(msg + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    for (size_t i = 0; i < 5000; i++)
        msg[8 + i] = (uint8_t)(i * 7);
    size_t steps[] = {1, 3, 7, 8, 19, 20, 21, 2047, 2048, 2056, 100000};
    for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
        g_string_truncate(f->rec.log, 0);
        feed_msg(f, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, msg, sizeof(msg), steps[s]);
        g_assert_cmpstr(f->rec.log->str, ==, "data s1 t1 l5000;");
        g_assert_cmpmem(f->rec.clip->data, f->rec.clip->len, msg + 8, 5000);
    }
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 0);
}

/* Several messages in one chunk, and a server message between the chunks of
 * a client message: each port reassembles on its own. */
static void test_interleaved_ports(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    uint8_t big[4 + 4 + 3000] = {0};
    put32(big + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    size_t n1, n2;
    g_autofree uint8_t *c = vdagent_proto_encode(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, big,
                                                 sizeof(big), &n1);
    uint8_t ms[13] = {0};
    put32(ms, 10);
    put32(ms + 4, 20);
    put32(ms + 8, VD_AGENT_LBUTTON_MASK);
    ms[12] = 1;
    g_autofree uint8_t *m = vdagent_proto_encode(VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, ms,
                                                 sizeof(ms), &n2);
    /* first chunk of the client message is 8 + 2048 bytes */
    vdagent_proto_feed(f->p, c, 8 + 2048);
    vdagent_proto_feed(f->p, m, n2);
    vdagent_proto_feed(f->p, c + 8 + 2048, n1 - 8 - 2048);
    g_assert_cmpstr(f->rec.log->str, ==, "mouse 10,20 b2 d1;data s0 t1 l3000;");

    /* two whole messages inside one chunk */
    uint8_t two[8 + 2 * 28];
    put32(two, VDP_CLIENT_PORT);
    put32(two + 4, 2 * 28);
    for (int i = 0; i < 2; i++) {
        uint8_t *h = two + 8 + 28 * i;
        memset(h, 0, 28);
        put32(h, VD_AGENT_PROTOCOL);
        put32(h + 4, VD_AGENT_CLIPBOARD_REQUEST);
        put32(h + 16, 8);
        h[20] = (uint8_t)i;
        put32(h + 24, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    }
    g_string_truncate(f->rec.log, 0);
    vdagent_proto_feed(f->p, two, sizeof(two));
    g_assert_cmpstr(f->rec.log->str, ==, "request s0 t1;request s1 t1;");
}

/* Oversized messages are skipped without buffering them, and what follows
 * still parses. */
static void test_size_limit(void)
{
    struct fixture f;
    setup_with(&f, 1000, true);
    announce_client(&f, false);
    g_autofree uint8_t *big = g_malloc0(50000);
    put32(big + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    feed_msg(&f, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, big, 50000, 333);
    g_assert_cmpuint(vdagent_proto_rejected(f.p), ==, 1);
    g_assert_cmpstr(f.rec.log->str, ==, "");
    uint8_t req[8] = {0};
    put32(req + 4, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    feed(&f, VD_AGENT_CLIPBOARD_REQUEST, req, sizeof(req));
    g_assert_cmpstr(f.rec.log->str, ==, "request s0 t2;");
    teardown(&f, NULL);
}

static void test_bad_chunks(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    /* unknown port: its bytes are skipped */
    uint8_t junk[8 + 30];
    memset(junk, 0xab, sizeof(junk));
    put32(junk, 7);
    put32(junk + 4, 30);
    vdagent_proto_feed(f->p, junk, sizeof(junk));
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 1);
    /* chunk larger than 2048 */
    g_autofree uint8_t *huge = g_malloc0(8 + 3000);
    put32(huge, VDP_CLIENT_PORT);
    put32(huge + 4, 3000);
    vdagent_proto_feed(f->p, huge, 8 + 3000);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 2);
    /* wrong protocol version: skipped by its size */
    uint8_t bad[20 + 8] = {0};
    put32(bad, 2);
    put32(bad + 4, VD_AGENT_CLIPBOARD_REQUEST);
    put32(bad + 16, 8);
    uint8_t chunk[8 + sizeof(bad)];
    put32(chunk, VDP_CLIENT_PORT);
    put32(chunk + 4, sizeof(bad));
    memcpy(chunk + 8, bad, sizeof(bad));
    vdagent_proto_feed(f->p, chunk, sizeof(chunk));
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 3);
    /* empty chunks are fine */
    uint8_t empty[8];
    put32(empty, VDP_CLIENT_PORT);
    put32(empty + 4, 0);
    vdagent_proto_feed(f->p, empty, 8);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 3);
    /* the stream still works */
    uint8_t rel[4] = {1, 0, 0, 0};
    feed(f, VD_AGENT_CLIPBOARD_RELEASE, rel, 4);
    g_assert_cmpstr(f->rec.log->str, ==, "release s1;");
}

static void test_monitors(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    /* sparse, as spice-gtk sends it: 16 entries, physical sizes, USE_POS */
    uint8_t m[8 + 16 * 24] = {0};
    put32(m, 16);
    put32(m + 4, VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS |
                     VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE);
    put32(m + 8, 720);
    put32(m + 12, 1280);
    put32(m + 16, 32);
    put32(m + 8 + 20, 768);
    put32(m + 8 + 24, 1024);
    put32(m + 8 + 28, 32);
    put32(m + 8 + 32, 1280);
    feed(f, VD_AGENT_MONITORS_CONFIG, m, sizeof(m));
    g_assert_cmpstr(f->rec.log->str, ==, "mons 16;");
    g_assert_true(f->rec.mons[0].enabled);
    g_assert_cmpint(f->rec.mons[0].width, ==, 1280);
    g_assert_cmpint(f->rec.mons[0].height, ==, 720);
    g_assert_true(f->rec.mons[1].enabled);
    g_assert_cmpint(f->rec.mons[1].x, ==, 1280);
    g_assert_cmpint(f->rec.mons[1].width, ==, 1024);
    g_assert_false(f->rec.mons[2].enabled);

    /* malformed configs: rejected, and the client gets an error reply */
    struct {
        uint32_t n, flags, size;
    } bad[] = {{0, 0, 8}, {17, 0, 8 + 17 * 20}, {2, 0, 8 + 20}, {1, 2, 8 + 20}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint8_t b[8 + 17 * 24] = {0};
        put32(b, bad[i].n);
        put32(b + 4, bad[i].flags);
        for (uint32_t k = 0; k < 17; k++) {
            put32(b + 8 + 20 * k, 600);
            put32(b + 12 + 20 * k, 800);
        }
        feed(f, VD_AGENT_MONITORS_CONFIG, b, bad[i].size);
    }
    uint8_t zero[8 + 20] = {0}; /* one monitor, 0x0: nothing enabled */
    put32(zero, 1);
    feed(f, VD_AGENT_MONITORS_CONFIG, zero, sizeof(zero));
    uint8_t huge[8 + 20] = {0};
    put32(huge, 1);
    put32(huge + 8, 100000);
    put32(huge + 12, 800);
    feed(f, VD_AGENT_MONITORS_CONFIG, huge, sizeof(huge));
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 6);
    g_assert_cmpstr(f->rec.log->str, ==, "mons 16;");
    g_autoptr(GPtrArray) out = drain(f);
    g_assert_cmpuint(out->len, ==, 6);
    for (guint i = 0; i < out->len; i++) {
        size_t n;
        const uint8_t *d = msg_data(out->pdata[i], &n);
        g_assert_cmpuint(msg_type(out->pdata[i]), ==, VD_AGENT_REPLY);
        g_assert_cmpuint(get32(d), ==, VD_AGENT_MONITORS_CONFIG);
        g_assert_cmpuint(get32(d + 4), ==, VD_AGENT_ERROR);
    }
}

static void test_clipboard_messages(struct fixture *f, gconstpointer data)
{
    /* before caps: no selection prefix */
    uint8_t req[4];
    put32(req, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    feed(f, VD_AGENT_CLIPBOARD_REQUEST, req, 4);
    g_assert_cmpstr(f->rec.log->str, ==, "request s0 t1;");
    announce_client(f, false);
    g_string_truncate(f->rec.log, 0);

    /* grab with selection + serial */
    uint8_t grab[4 + 4 + 8] = {1, 0, 0, 0};
    put32(grab + 4, 41);
    put32(grab + 8, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    put32(grab + 12, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    feed(f, VD_AGENT_CLIPBOARD_GRAB, grab, sizeof(grab));
    g_assert_cmpstr(f->rec.log->str, ==, "grab s1 n2;");
    g_assert_cmpuint(f->rec.last_types[1], ==, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    /* our next grab of PRIMARY carries serial 42 */
    uint32_t t = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    vdagent_proto_send_clipboard_grab(f->p, VDAGENT_SELECTION_PRIMARY, &t, 1);
    vdagent_proto_send_clipboard_grab(f->p, VDAGENT_SELECTION_CLIPBOARD, &t, 1);
    g_autoptr(GPtrArray) out = drain(f);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(n, ==, 12);
    g_assert_cmpuint(d[0], ==, 1);
    g_assert_cmpuint(get32(d + 4), ==, 42);
    g_assert_cmpuint(get32(d + 8), ==, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    d = msg_data(out->pdata[1], &n);
    g_assert_cmpuint(get32(d + 4), ==, 0);

    /* malformed: each dropped, nothing delivered */
    g_string_truncate(f->rec.log, 0);
    feed(f, VD_AGENT_CLIPBOARD_GRAB, grab, 6);           /* serial cut */
    feed(f, VD_AGENT_CLIPBOARD_GRAB, grab, 10);          /* type cut */
    feed(f, VD_AGENT_CLIPBOARD_REQUEST, grab, 6);        /* wrong size */
    feed(f, VD_AGENT_CLIPBOARD, grab, 3);                /* no selection */
    feed(f, VD_AGENT_CLIPBOARD, grab, 6);                /* no type */
    feed(f, VD_AGENT_CLIPBOARD_RELEASE, grab, 8);        /* trailing bytes */
    uint8_t many[8 + 4 * 17] = {0};
    feed(f, VD_AGENT_CLIPBOARD_GRAB, many, sizeof(many)); /* too many types */
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 7);
    g_assert_cmpstr(f->rec.log->str, ==, "");
    /* SECONDARY is valid protocol but not served: ignored quietly */
    uint8_t sec[8] = {2, 0, 0, 0};
    put32(sec + 4, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    feed(f, VD_AGENT_CLIPBOARD_REQUEST, sec, 8);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 7);
    g_assert_cmpstr(f->rec.log->str, ==, "");

    /* data and refusal to the client */
    vdagent_proto_send_clipboard(f->p, 0, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
    g_autoptr(GPtrArray) out2 = drain(f);
    d = msg_data(out2->pdata[0], &n);
    g_assert_cmpuint(msg_type(out2->pdata[0]), ==, VD_AGENT_CLIPBOARD);
    g_assert_cmpuint(n, ==, 8);
    g_assert_cmpuint(get32(d + 4), ==, VD_AGENT_CLIPBOARD_NONE);
}

/* A large payload goes out as 2048-byte chunks, one message, intact. */
static void test_large_output(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    size_t len = 10 * 1024 * 1024 + 3;
    g_autofree uint8_t *text = g_malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = 'a' + i % 26;
    vdagent_proto_send_clipboard(f->p, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, text, len);
    g_autoptr(GPtrArray) out = drain(f);
    g_assert_cmpuint(out->len, ==, 1);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(n, ==, len + 8);
    g_assert_cmpmem(d + 8, len, text, len);
}

static void test_server_port(struct fixture *f, gconstpointer data)
{
    uint8_t ms[13] = {0};
    put32(ms, 5);
    feed_msg(f, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, ms, 12, 100); /* short */
    feed_msg(f, VDP_SERVER_PORT, VD_AGENT_CLIPBOARD, ms, 12, 100);   /* not from server */
    feed(f, VD_AGENT_MOUSE_STATE, ms, 13);                           /* not from client */
    feed(f, VD_AGENT_REPLY, ms, 8);
    feed(f, 999, ms, 8);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 5);
    g_assert_cmpstr(f->rec.log->str, ==, "");
    feed_msg(f, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, ms, 13, 1);
    g_assert_cmpstr(f->rec.log->str, ==, "mouse 5,0 b0 d0;");
}

static void test_file_xfer_messages(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    const char kf[] = "[vdagent-file-xfer]\nname=a.txt\nsize=3\n";
    uint8_t start[4 + sizeof(kf)];
    put32(start, 7);
    memcpy(start + 4, kf, sizeof(kf));
    feed(f, VD_AGENT_FILE_XFER_START, start, sizeof(start));
    uint8_t dm[12 + 3] = {0};
    put32(dm, 7);
    put32(dm + 4, 3);
    memcpy(dm + 12, "abc", 3);
    feed(f, VD_AGENT_FILE_XFER_DATA, dm, sizeof(dm));
    uint8_t st[8];
    put32(st, 7);
    put32(st + 4, VD_AGENT_FILE_XFER_STATUS_CANCELLED);
    feed(f, VD_AGENT_FILE_XFER_STATUS, st, 8);
    g_autofree char *want = g_strdup_printf("xstart 7 [%s];xdata 7 l3;xstatus 7 r1;", kf);
    g_assert_cmpstr(f->rec.log->str, ==, want);
    g_string_truncate(f->rec.log, 0);
    /* data size disagrees with the message: dropped, the transfer told */
    put32(dm + 4, 1000);
    feed(f, VD_AGENT_FILE_XFER_DATA, dm, sizeof(dm));
    feed(f, VD_AGENT_FILE_XFER_DATA, dm, 3);
    feed(f, VD_AGENT_FILE_XFER_STATUS, st, 6);
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 3);
    g_assert_cmpstr(f->rec.log->str, ==, "");
    g_autoptr(GPtrArray) out = drain(f);
    g_assert_cmpuint(out->len, ==, 1);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(msg_type(out->pdata[0]), ==, VD_AGENT_FILE_XFER_STATUS);
    g_assert_cmpuint(get32(d), ==, 7);
    g_assert_cmpuint(get32(d + 4), ==, VD_AGENT_FILE_XFER_STATUS_ERROR);
}

static void test_file_xfer_disabled(void)
{
    struct fixture f;
    setup_with(&f, 4096, false);
    uint8_t start[4 + 4] = {9, 0, 0, 0, 'x', '=', '1', 0};
    feed(&f, VD_AGENT_FILE_XFER_START, start, sizeof(start));
    g_assert_cmpstr(f.rec.log->str, ==, "");
    g_autoptr(GPtrArray) out = drain(&f);
    size_t n;
    const uint8_t *d = msg_data(out->pdata[0], &n);
    g_assert_cmpuint(get32(d), ==, 9);
    g_assert_cmpuint(get32(d + 4), ==, VD_AGENT_FILE_XFER_STATUS_DISABLED);
    teardown(&f, NULL);
}

/* CLIENT_DISCONNECTED forgets the client; a message spice-server already
 * started reading stays whole so its framing holds. */
static void test_reset_on_disconnect(struct fixture *f, gconstpointer data)
{
    announce_client(f, false);
    g_autoptr(GPtrArray) caps = drain(f);
    /* half a client message pending */
    uint8_t big[4 + 4 + 4000] = {0};
    size_t n;
    g_autofree uint8_t *c = vdagent_proto_encode(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, big,
                                                 sizeof(big), &n);
    vdagent_proto_feed(f->p, c, 8 + 2048);
    /* output: one message half read, one not started */
    g_autofree uint8_t *text = g_malloc0(5000);
    vdagent_proto_send_clipboard(f->p, 0, 1, text, 5000);
    vdagent_proto_send_clipboard(f->p, 0, 1, text, 10);
    uint8_t part[100];
    g_assert_cmpuint(vdagent_proto_read(f->p, part, 100), ==, 100);
    size_t before = vdagent_proto_pending(f->p);

    feed_msg(f, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0, 100);
    g_assert_cmpstr(f->rec.log->str, ==, "disconnected;");
    g_assert_false(vdagent_proto_peer_has(f->p, VD_AGENT_CAP_CLIPBOARD_SELECTION));
    size_t second = 8 + 20 + 8 + 10;
    g_assert_cmpuint(vdagent_proto_pending(f->p), ==, before - second);
    g_autofree uint8_t *rest = g_malloc(before);
    g_assert_cmpuint(vdagent_proto_read(f->p, rest, before), ==, before - second);
    /* the rest of the old client message is not taken for a new one; a new
     * client's first message parses */
    g_string_truncate(f->rec.log, 0);
    uint8_t req[4];
    put32(req, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    feed(f, VD_AGENT_CLIPBOARD_REQUEST, req, 4);
    g_assert_cmpstr(f->rec.log->str, ==, "request s0 t1;");
    g_assert_cmpuint(vdagent_proto_rejected(f->p), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* rejections log warnings by design; only criticals are fatal here */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
#define ADD(name, fn) g_test_add("/vdagent-proto/" name, struct fixture, NULL, setup, fn, teardown)
    ADD("caps", test_caps);
    g_test_add_func("/vdagent-proto/caps-disabled-features", test_caps_disabled_features);
    ADD("reassembly-any-split", test_reassembly_any_split);
    ADD("interleaved-ports", test_interleaved_ports);
    g_test_add_func("/vdagent-proto/size-limit", test_size_limit);
    ADD("bad-chunks", test_bad_chunks);
    ADD("monitors", test_monitors);
    ADD("clipboard-messages", test_clipboard_messages);
    ADD("large-output", test_large_output);
    ADD("audio-volume", test_audio_volume);
    ADD("server-port", test_server_port);
    ADD("file-xfer-messages", test_file_xfer_messages);
    g_test_add_func("/vdagent-proto/file-xfer-disabled", test_file_xfer_disabled);
    ADD("reset-on-disconnect", test_reset_on_disconnect);
    return g_test_run();
}
