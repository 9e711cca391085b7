/* bitrate-control: the video stream's bitrate and frame rate from what the
 * client's link actually takes (--video-bitrate=auto|KBIT).
 *
 * Two measurements feed it. The stream port: when the server read the last
 * byte of each frame, and when it was queued (the server stops reading
 * while its pipe to the client is full, so on a slow link a frame's read
 * spreads over the time the link needs for it). The client's socket, when
 * the agent can see it: bytes written but not yet sent (the kernel's send
 * queue, where latency hides on a slow link) and bytes the client
 * acknowledged. From these it keeps an estimate of the link's rate and of
 * the delay queued in front of the client.
 *
 * Decisions: a queue longer than the delay target, or a dropped frame,
 * cuts the bitrate to below the measured delivery rate at once (and drains
 * what is queued); only after a calm settling time does it probe upward,
 * by a small factor at a time, and only while the stream sends at least
 * two thirds of the rate (a stream that does not fill its rate proves
 * nothing about the link). Bitrate goes first: below the floor
 * (min_kbps) the per-frame budget stays and the frame rate goes down
 * instead; on recovery the frame rate comes back first. A fixed bitrate
 * (--video-bitrate=KBIT) is a floor equal to the top: only the frame rate
 * moves. Pure logic, times passed in: unit-tested on scripted link traces
 * (tests/unit/test-bitrate-control.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct bitrate_control_config {
    int fixed_kbps;  /* --video-bitrate=KBIT; 0: auto */
    int max_kbps;    /* --video-max-bitrate */
    int min_kbps;    /* below this the frame rate goes down instead (auto) */
    int start_kbps;  /* first guess (auto); 0: a quarter of max_kbps */
    int max_fps;     /* --video-max-fps */
    int min_fps;
    int target_delay_ms; /* most queued delay tolerated; 0: 40 ms */
};

struct bitrate_control;

struct bitrate_control *bitrate_control_create(const struct bitrate_control_config *config);
void bitrate_control_destroy(struct bitrate_control *bc);

/* The server read the last byte of a frame of @bytes that was queued on
 * the port at @queued_us; @done_us is now. */
void bitrate_control_frame_sent(struct bitrate_control *bc, size_t bytes, int64_t queued_us,
                                int64_t done_us);
/* A frame was dropped because two were already waiting. */
void bitrate_control_frame_dropped(struct bitrate_control *bc, int64_t now_us);
/* The client's socket at @now_us: bytes queued and not yet acknowledged
 * (unsent, or in flight), and the total the client has acknowledged so
 * far (monotonic). */
void bitrate_control_socket(struct bitrate_control *bc, int64_t now_us, size_t unsent_bytes,
                            uint64_t acked_bytes);

int bitrate_control_kbps(const struct bitrate_control *bc);
int bitrate_control_fps(const struct bitrate_control *bc);
int64_t bitrate_control_interval_us(const struct bitrate_control *bc);
/* Bytes one frame may take: kbps / fps. */
size_t bitrate_control_frame_budget(const struct bitrate_control *bc);
/* The link's estimated rate in kbit/s (0 before any link-limited sample). */
int bitrate_control_link_kbps(const struct bitrate_control *bc);
/* The delay queued in front of the client now, as estimated. */
int64_t bitrate_control_queue_delay_us(const struct bitrate_control *bc);

struct bitrate_control_stats {
    uint64_t cuts;   /* decisions to lower the rate */
    uint64_t probes; /* steps upward */
};
void bitrate_control_get_stats(const struct bitrate_control *bc,
                               struct bitrate_control_stats *ret);

/* MJPEG has no bitrate: the next frame's JPEG quality from the last
 * frame's size against the budget, within [min_q, max_q]. */
int bitrate_control_jpeg_quality(int quality, size_t last_bytes, size_t budget, int min_q,
                                 int max_q);
