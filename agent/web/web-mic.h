/* web-mic: the page's MIC messages (one Opus packet each) decoded into
 * 48 kHz stereo PCM for the guest's microphone. Malformed or oversized
 * packets are refused, counted and logged at most once every 10 s. No I/O,
 * no libsoup, no spice: unit-tested and fuzzed on its own. Main thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agent/web/web-proto.h"

/* Refusals are logged at most this often (one line with the count). */
#define WEB_MIC_LOG_INTERVAL_US (10 * 1000 * 1000)

/* Decoded frames of one packet, valid during the call. */
typedef void (*web_mic_pcm_fn)(const uint32_t *frames, size_t n, void *user_data);

struct web_mic;

/* NULL with *ret_error (new string) when libopus cannot make a decoder. */
struct web_mic *web_mic_create(web_mic_pcm_fn fn, void *user_data, char **ret_error);
void web_mic_destroy(struct web_mic *m);

/* Handles one parsed MIC message (@msg->type WEB_PAGE_MIC) that arrived at
 * @now_us (monotonic) from @address (for the log). Returns 0 when it was
 * decoded and handed on, or -EINVAL / -EMSGSIZE when it was refused. */
int web_mic_packet(struct web_mic *m, const struct web_page_msg *msg, const char *address,
                   int64_t now_us);

struct web_mic_stats {
    uint64_t packets; /* decoded */
    uint64_t bytes;   /* of decoded packets */
    uint64_t refused; /* malformed or oversized */
    uint64_t logged;  /* log lines written about refusals */
};
void web_mic_get_stats(const struct web_mic *m, struct web_mic_stats *ret_stats);
