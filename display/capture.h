/* capture: where the desktop's pixels come from.
 *
 * One dispatcher over backends (x11, wlr, mutter, fake), each an ops table in its own file.
 * Everything here runs on the main loop. Backends report events upwards through
 * the listener given at create time; they never call into the agent. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "display/copy-detect.h"
#include "display/cursor.h"
#include "display/damage.h"
#include "display/frame.h"

struct capture;

struct capture_listener {
    /* New damage is waiting: call capture_collect_damage() soon. */
    void (*damage_pending)(void *user_data);
    /* The screen changed size; all pixels are dirty. */
    void (*resized)(int width, int height, void *user_data);
    /* The pointer shape changed; @cursor is only valid during the call. */
    void (*cursor_changed)(const struct cursor_image *cursor, void *user_data);
    /* The source is gone (X server died). @message says why. Fatal. */
    void (*lost)(const char *message, void *user_data);
};

/* Called by a stream source with the PipeWire node of the stream once it
 * exists (@node != 0, @error NULL), or with @node 0 and why when it could not
 * be opened or ended. */
typedef void (*capture_stream_ready_fn)(uint32_t node, const char *error, void *ready_data);

/* mutter: who opens the PipeWire stream. The compositor session belongs to
 * the composition root (input shares it), so the capture only asks for a
 * stream when it starts and gives it back when it stops. */
struct capture_stream_source {
    /* Opens the stream; @ready follows later, on the main loop. */
    void (*open)(void *data, capture_stream_ready_fn ready, void *ready_data);
    /* Gives the stream back. Afterwards @ready is called only (with node 0)
     * when the compositor goes away, until the source is destroyed. */
    void (*close)(void *data);
    /* Optional: the size the stream will have, without opening it (which
     * would show GNOME's sharing indicator). 0 or -errno. */
    int (*get_size)(void *data, int *ret_width, int *ret_height);
    /* Optional: calls @gone (node 0) when the compositor goes away while no
     * stream was opened yet; NULL stops that. */
    void (*watch)(void *data, capture_stream_ready_fn gone, void *gone_data);
    /* Optional: whether the stream records a virtual monitor, whose size
     * follows the stream's format (a monitor's stream has the monitor's). */
    bool (*is_virtual)(void *data);
    void *data;
};

struct capture_config {
    const char *backend;      /* "x11", "wlr", "mutter" or "fake" */
    const char *display;      /* X display name for x11; NULL: $DISPLAY */
    const char *wayland_display; /* wlr: socket name or path; NULL: $WAYLAND_DISPLAY */
    const char *fake_script;  /* fake: "static", "full", "scroll", ... */
    int fake_width, fake_height;
    int fake_fps;
    const struct capture_stream_source *stream_source; /* mutter; copied */
    int max_fps;              /* mutter: asked of the compositor; 0: 60 */
};

/* Returns NULL and sets @ret_error (a new string) when the backend cannot start. */
struct capture *capture_create(const struct capture_config *config,
                               const struct capture_listener *listener, void *user_data,
                               char **ret_error);
void capture_destroy(struct capture *capture);

/* Lists the backend names, NULL-terminated. */
const char *const *capture_backend_names(void);
bool capture_backend_exists(const char *name);

/* Asks whether @backend can serve the session at @where (for wlr a Wayland
 * display; NULL: from the environment) without starting it. Returns 1 when it
 * can, 0 when it cannot, -errno when the session could not be reached; sets
 * @ret_reason (a new string) to why in every case. Backends that cannot tell
 * answer 1. */
int capture_probe(const char *backend, const char *where, char **ret_reason);

const char *capture_name(const struct capture *capture);
void capture_get_size(const struct capture *capture, int *ret_width, int *ret_height);

/* Starts or pauses change tracking. While paused nothing is captured and no
 * damage is reported; a restart marks nothing dirty by itself. */
void capture_start(struct capture *capture);
void capture_stop(struct capture *capture);

/* Adds everything that changed since the last call to @damage. */
void capture_collect_damage(struct capture *capture, struct damage *damage);

/* Snapshots the pixels of @rects (inside the screen) into a new frame: rect i
 * starts where rect i-1 ends, rows of w * 4 bytes, BGRX. Returns a new
 * reference, or NULL on error (a resize or lost follows). */
struct frame *capture_grab(struct capture *capture, const struct damage_rect *rects, int n);

/* Asks the source to make the screen @width x @height (the client's window):
 * 0 when it will try (a resize event follows when it does), -ENOTSUP with
 * *ret_reason (a new string) when this screen cannot change size. */
int capture_request_size(struct capture *capture, int width, int height, char **ret_reason);

/* Writes the windows that moved since the last call (at most @max) as copy
 * hints; backends that know no windows write none. Returns their number. */
int capture_take_moves(struct capture *capture, struct copy_hint *ret_hints, int max);

/* Returns the current cursor image or NULL; owned by the capture. */
const struct cursor_image *capture_get_cursor(const struct capture *capture);
