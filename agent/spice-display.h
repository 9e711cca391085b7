/* spice-display: the QXL instance that feeds captured pixels to spice-server.
 *
 * Holds the primary surface and the command queue that spice-server's worker
 * thread pulls from (the only cross-thread queue of the agent). All functions
 * here are called on the main loop; events are delivered there too. */
#pragma once

#include <spice.h>
#include <stdbool.h>
#include <stdint.h>

#include "display/copy-detect.h"
#include "display/cursor.h"
#include "display/damage.h"
#include "display/frame.h"

struct spice_display;

struct spice_display_events {
    /* A display client came or went. */
    void (*client_changed)(bool present, void *user_data);
    /* The worker took every queued command: more may be pushed. */
    void (*drained)(void *user_data);
    void *user_data;
};

struct spice_display_stats {
    uint64_t frames;    /* pushes */
    uint64_t drawables; /* QXL draw commands with pixels */
    uint64_t copies;    /* QXL copy-bits commands */
    uint64_t bytes;     /* raw pixel bytes handed over */
};

/* Registers the QXL interface with @server and creates a width x height
 * primary surface. Returns NULL on failure. */
struct spice_display *spice_display_create(SpiceServer *server, int width, int height,
                                           const struct spice_display_events *events);
void spice_display_destroy(struct spice_display *display);

/* Recreates the primary surface at a new size; queued commands of the old
 * size are dropped. */
void spice_display_resize(struct spice_display *display, int width, int height);

/* True while commands wait for the worker. */
bool spice_display_busy(struct spice_display *display);

/* Pixels for one rectangle: rows of @stride bytes at @data, inside a frame. */
struct display_draw {
    struct damage_rect rect;
    const uint8_t *data;
    int stride;
};

/* Queues, in this order, @copies (copy-bits from the client's own surface)
 * and one draw per entry of @draws, whose pixels live in @frame. Takes a
 * reference to @frame per draw. */
void spice_display_push(struct spice_display *display, struct frame *frame,
                        const struct copy_op *copies, int n_copies,
                        const struct display_draw *draws, int n_draws);

/* Sends a new pointer shape. */
void spice_display_set_cursor(struct spice_display *display, const struct cursor_image *cursor);

void spice_display_get_stats(const struct spice_display *display,
                             struct spice_display_stats *ret_stats);
