/* rate-control: quality and frame rate of the video stream from backpressure.
 *
 * spice-server 0.15.1 gives the guest no feedback about the client's link
 * (it refuses QUALITY_INDICATOR and ignores stream reports), so the agent
 * watches its own port: how long the server takes to read a whole frame
 * (it stops reading while the client's pipe is full), and frames dropped
 * because two were already waiting. When the link cannot keep up, quality
 * goes down first, then the frame rate; when it can, the frame rate comes
 * back first, then quality. Pure logic, times passed in: unit-testable with
 * scripted links. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rate_control_config {
    int max_fps;     /* --video-max-fps */
    int max_quality; /* --video-quality */
    int min_quality; /* floor before the frame rate goes down */
    int min_fps;
};

struct rate_control;

struct rate_control *rate_control_create(const struct rate_control_config *config);
void rate_control_destroy(struct rate_control *rc);

/* The server took a whole frame of @bytes, @send_us after it was queued. */
void rate_control_frame_sent(struct rate_control *rc, size_t bytes, int64_t send_us,
                             int64_t now_us);
/* A frame was dropped: two were already waiting on the port. */
void rate_control_frame_dropped(struct rate_control *rc, int64_t now_us);

int rate_control_quality(const struct rate_control *rc);
int rate_control_fps(const struct rate_control *rc);
int64_t rate_control_interval_us(const struct rate_control *rc);
/* Counts of decisions, for logs and tests. */
struct rate_control_stats {
    uint64_t lowered_quality, lowered_fps, raised_quality, raised_fps;
};
void rate_control_get_stats(const struct rate_control *rc, struct rate_control_stats *ret);
