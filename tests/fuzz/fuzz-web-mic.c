/* libFuzzer target: the page's MIC messages (agent/web/web-mic.c) as a
 * viewer hands them over: each input is a sequence of messages, each with a
 * 2-byte length prefix, parsed by web-proto and, when they are MIC, decoded
 * by web-mic (libopus). The decoder lives across messages, as on a socket. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "agent/pcm-opus.h"
#include "agent/web/web-mic.h"
#include "agent/web/web-proto.h"

static size_t total;

static void on_pcm(const uint32_t *frames, size_t n, void *data)
{
    (void)data;
    if (n == 0 || n > PCM_OPUS_MAX_DECODED)
        abort();
    total += frames[0] + frames[n - 1]; /* every frame handed over is readable */
}

static void quiet(const gchar *d, GLogLevelFlags l, const gchar *m, gpointer u)
{
    (void)d, (void)l, (void)m, (void)u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct web_mic *mic;
    if (!mic) {
        g_log_set_default_handler(quiet, NULL);
        char *error = NULL;
        mic = web_mic_create(on_pcm, NULL, &error);
        if (!mic)
            abort();
    }
    int64_t now = 0;
    while (size >= 2) {
        size_t len = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2, size -= 2;
        if (len > size)
            len = size;
        uint8_t *msg = malloc(len ? len : 1);
        memcpy(msg, data, len);
        struct web_page_msg m;
        const char *why = NULL;
        if (web_proto_parse(msg, len, &m, &why) == 0 && m.type == WEB_PAGE_MIC) {
            int rc = web_mic_packet(mic, &m, "fuzz", now);
            if (rc != 0 && rc != -EINVAL && rc != -EMSGSIZE)
                abort();
        }
        now += 20000;
        free(msg);
        data += len, size -= len;
    }
    return 0;
}
