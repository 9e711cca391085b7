/* pcm-opus: 20 ms packets from any chunking, round trip keeps the pitch,
 * and every malformed packet is refused before libopus decodes it. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "agent/pcm-opus.h"

struct packets {
    GPtrArray *data; /* GBytes */
    GArray *timestamps;
};

static void on_packet(const uint8_t *packet, size_t len, uint32_t ts, void *user_data)
{
    struct packets *p = user_data;
    g_ptr_array_add(p->data, g_bytes_new(packet, len));
    g_array_append_val(p->timestamps, ts);
}

static uint32_t frame_of(int16_t l, int16_t r)
{
    uint32_t v;
    int16_t s[2] = {l, r};
    memcpy(&v, s, sizeof(v));
    return v;
}

static void tone(uint32_t *out, size_t n, size_t start, double freq)
{
    for (size_t i = 0; i < n; i++) {
        int16_t v = (int16_t)(12000 * sin(2 * G_PI * freq * (double)(start + i) / PCM_OPUS_RATE));
        out[i] = frame_of(v, v);
    }
}

/* Frequency from the rising zero crossings of the left channel. */
static double frequency(const uint32_t *frames, size_t n)
{
    int first = -1, last = -1, count = 0;
    int16_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        int16_t s[2];
        memcpy(s, &frames[i], sizeof(s));
        if (i && prev < 0 && s[0] >= 0) {
            if (first < 0)
                first = (int)i;
            last = (int)i;
            count++;
        }
        prev = s[0];
    }
    if (count < 2)
        return 0;
    return (double)(count - 1) * PCM_OPUS_RATE / (double)(last - first);
}

static void test_round_trip(void)
{
    struct packets p = {g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref),
                        g_array_new(FALSE, FALSE, sizeof(uint32_t))};
    char *error = NULL;
    struct pcm_opus_encoder *e = pcm_opus_encoder_create(PCM_OPUS_BITRATE, on_packet, &p, &error);
    g_assert_no_error(NULL);
    g_assert_nonnull(e);
    pcm_opus_encoder_restart(e, 1000);
    /* One second in chunks the sound server might hand over: 441, 480, 7, ... */
    size_t sizes[] = {441, 480, 7, 960, 1500, 1};
    uint32_t buf[1500];
    size_t done = 0;
    for (size_t i = 0; done < PCM_OPUS_RATE; i++) {
        size_t n = MIN(sizes[i % G_N_ELEMENTS(sizes)], PCM_OPUS_RATE - done);
        tone(buf, n, done, 440);
        g_assert_cmpint(pcm_opus_encoder_feed(e, buf, n), ==, 0);
        done += n;
    }
    g_assert_cmpuint(p.data->len, ==, PCM_OPUS_RATE / PCM_OPUS_FRAME);
    g_assert_cmpuint(pcm_opus_encoder_packets(e), ==, p.data->len);
    for (guint i = 0; i < p.timestamps->len; i++)
        g_assert_cmpuint(g_array_index(p.timestamps, uint32_t, i), ==, 1000 + i * PCM_OPUS_FRAME);

    struct pcm_opus_decoder *d = pcm_opus_decoder_create(&error);
    g_assert_nonnull(d);
    uint32_t *pcm = g_new0(uint32_t, PCM_OPUS_RATE);
    uint32_t out[PCM_OPUS_MAX_DECODED];
    size_t got = 0;
    size_t bytes = 0;
    for (guint i = 0; i < p.data->len; i++) {
        gsize len;
        const uint8_t *pkt = g_bytes_get_data(g_ptr_array_index(p.data, i), &len);
        g_assert_cmpuint(len, <=, PCM_OPUS_MAX_PACKET);
        bytes += len;
        const char *why = NULL;
        int n = pcm_opus_decoder_decode(d, pkt, len, out, G_N_ELEMENTS(out), &why);
        g_assert_cmpint(n, ==, PCM_OPUS_FRAME);
        memcpy(pcm + got, out, (size_t)n * sizeof(uint32_t));
        got += (size_t)n;
    }
    /* 96 kbit/s: about 240 bytes a packet (CBR-ish VBR, a margin either way). */
    g_assert_cmpuint(bytes, >, 6000);
    g_assert_cmpuint(bytes, <, 16000);
    double f = frequency(pcm + PCM_OPUS_RATE / 10, got - PCM_OPUS_RATE / 10);
    g_assert_cmpfloat(fabs(f - 440), <, 2);

    /* A restart drops the partial frame and jumps the timestamp. */
    g_ptr_array_set_size(p.data, 0);
    g_array_set_size(p.timestamps, 0);
    pcm_opus_encoder_feed(e, buf, 500);
    pcm_opus_encoder_restart(e, 77);
    pcm_opus_encoder_feed(e, buf, 960);
    g_assert_cmpuint(p.data->len, ==, 1);
    g_assert_cmpuint(g_array_index(p.timestamps, uint32_t, 0), ==, 77);

    g_free(pcm);
    pcm_opus_decoder_destroy(d);
    pcm_opus_encoder_destroy(e);
    g_ptr_array_unref(p.data);
    g_array_unref(p.timestamps);
}

static void test_bad_bitrate(void)
{
    char *error = NULL;
    g_assert_null(pcm_opus_encoder_create(-5, on_packet, NULL, &error));
    g_assert_nonnull(strstr(error, "bitrate"));
    g_free(error);
    pcm_opus_encoder_destroy(NULL);
    pcm_opus_decoder_destroy(NULL);
}

static int decode(struct pcm_opus_decoder *d, const uint8_t *pkt, size_t len, size_t capacity)
{
    uint32_t out[PCM_OPUS_MAX_DECODED];
    const char *why = NULL;
    int n = pcm_opus_decoder_decode(d, pkt, len, out, capacity, &why);
    if (n < 0)
        g_assert_nonnull(why);
    return n;
}

static void test_malformed(void)
{
    char *error = NULL;
    struct pcm_opus_decoder *d = pcm_opus_decoder_create(&error);
    g_assert_nonnull(d);
    uint8_t big[PCM_OPUS_MAX_PACKET + 1];
    memset(big, 0xfc, sizeof(big)); /* code 0, CELT FB 20 ms, then padding-ish bytes */
    g_assert_cmpint(decode(d, big, 0, PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    g_assert_cmpint(decode(d, big, sizeof(big), PCM_OPUS_MAX_DECODED), ==, -EMSGSIZE);
    /* Code 3 (several frames) without its frame-count byte: truncated. */
    const uint8_t code3_short[] = {0xfb};
    g_assert_cmpint(decode(d, code3_short, 1, PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    /* Code 3 with 0 frames. */
    const uint8_t code3_zero[] = {0xfb, 0x00};
    g_assert_cmpint(decode(d, code3_zero, 2, PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    /* Code 3, 48 frames of 20 ms: 960 ms, past Opus's 120 ms. */
    const uint8_t code3_long[] = {0xfb, 48};
    g_assert_cmpint(decode(d, code3_long, 2, PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    /* Code 2 (two frames of different sizes) whose first length runs past the end. */
    const uint8_t code2_past[] = {0xfa, 200, 1, 2, 3};
    g_assert_cmpint(decode(d, code2_past, sizeof(code2_past), PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    /* Code 1 (two equal frames) with an odd payload. */
    const uint8_t code1_odd[] = {0xf9, 1, 2, 3};
    g_assert_cmpint(decode(d, code1_odd, sizeof(code1_odd), PCM_OPUS_MAX_DECODED), ==, -EINVAL);
    /* A valid 20 ms packet, but the caller has room for 10 ms only. */
    const uint8_t ok[] = {0xfc, 0xff, 0xfe};
    g_assert_cmpint(decode(d, ok, sizeof(ok), 480), ==, -EMSGSIZE);
    /* The decoder still works after all that. */
    g_assert_cmpint(decode(d, ok, sizeof(ok), PCM_OPUS_MAX_DECODED), ==, 960);
    pcm_opus_decoder_destroy(d);
}

/* Random bytes of every length never crash, and a refusal always says why. */
static void test_random(void)
{
    char *error = NULL;
    struct pcm_opus_decoder *d = pcm_opus_decoder_create(&error);
    GRand *r = g_rand_new_with_seed(18);
    uint8_t pkt[64];
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)g_rand_int_range(r, 1, sizeof(pkt));
        for (size_t j = 0; j < len; j++)
            pkt[j] = (uint8_t)g_rand_int(r);
        int n = decode(d, pkt, len, PCM_OPUS_MAX_DECODED);
        g_assert_true(n == -EINVAL || n == -EMSGSIZE || (n > 0 && n <= PCM_OPUS_MAX_DECODED));
    }
    g_rand_free(r);
    pcm_opus_decoder_destroy(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pcm-opus/round-trip", test_round_trip);
    g_test_add_func("/pcm-opus/bad-bitrate", test_bad_bitrate);
    g_test_add_func("/pcm-opus/malformed", test_malformed);
    g_test_add_func("/pcm-opus/random", test_random);
    return g_test_run();
}
