#include "client/backoff.h"

void backoff_init(struct backoff *b, int limit)
{
    b->limit = limit;
    b->attempts = 0;
}

void backoff_reset(struct backoff *b)
{
    b->attempts = 0;
}

bool backoff_next(struct backoff *b, unsigned *ret_delay_ms)
{
    if (b->limit != BACKOFF_FOREVER && b->attempts >= b->limit)
        return false;
    unsigned delay = BACKOFF_FIRST_MS;
    for (int i = 0; i < b->attempts && delay < BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (b->attempts < 1000000)
        b->attempts++;
    *ret_delay_ms = delay > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay;
    return true;
}
