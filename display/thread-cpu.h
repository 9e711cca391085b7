/* thread-cpu: the CPU time the calling thread has used, for the encoders'
 * and pumps' cost counters. */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
