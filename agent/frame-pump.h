/* frame-pump: moves changed pixels from capture to the QXL queue.
 *
 * Damage accumulates in one region. A snapshot is taken only when the worker
 * has taken every queued command (backpressure: a slow client never makes a
 * queue grow; it gets fewer, larger updates), no more often than max_fps, and
 * only while a client is connected. Main thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent/spice-display.h"
#include "display/capture.h"

struct frame_pump;

struct frame_pump_stats {
    uint64_t grabs;       /* snapshots handed to the display */
    uint64_t grab_usec;   /* wall time collecting damage, grabbing, handing over */
    uint64_t grab_cpu_usec; /* CPU time of the same, on the main thread */
    uint64_t pixels;      /* pixels grabbed */
    uint64_t failed;      /* grabs that failed (resize races) */
    uint64_t copies;      /* copy-bits sent instead of pixels */
    uint64_t copied_pixels;
};

/* @copy_detection: look for window moves and scrolls to send as copies. */
struct frame_pump *frame_pump_create(struct capture *capture, struct spice_display *display,
                                     int max_fps, bool copy_detection);
void frame_pump_destroy(struct frame_pump *pump);

/* Something changed (damage, a drained queue, a free buffer): run soon. */
void frame_pump_kick(struct frame_pump *pump);
/* A client came (everything is sent again) or went (capture pauses). */
void frame_pump_set_active(struct frame_pump *pump, bool active);
/* The screen changed size: everything is dirty. */
void frame_pump_resized(struct frame_pump *pump, int width, int height);

void frame_pump_get_stats(const struct frame_pump *pump, struct frame_pump_stats *ret_stats);
