/* backoff: when to try a dropped connection again.
 * Delays double from BACKOFF_FIRST_MS up to BACKOFF_MAX_MS; the cap is low
 * because a thin client should be back within seconds of its desktop. */
#pragma once

#include <stdbool.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS   2000
#define BACKOFF_FOREVER  (-1)

struct backoff {
    int limit;    /* attempts allowed; 0 none; BACKOFF_FOREVER */
    int attempts; /* made since the last success */
};

void backoff_init(struct backoff *b, int limit);

/* The connection worked (a complete frame arrived): start over. */
void backoff_reset(struct backoff *b);

/* Counts one more attempt. True with its delay in *ret_delay_ms if allowed;
 * false once the limit is used up. */
bool backoff_next(struct backoff *b, unsigned *ret_delay_ms);
