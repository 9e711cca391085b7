/* resize-sway: sets the size of sway's output to a client's window size, with
 * `swaymsg output NAME mode WxH` (sway's headless outputs take any mode).
 *
 * Runs swaymsg asynchronously on the GLib main loop; requests that arrive
 * while one is running are folded into the newest. The new size reaches the
 * capture as screencopy buffers of the new size. */
#pragma once

/* Smallest and largest size asked of sway; client sizes are clamped. */
#define RESIZE_SWAY_MIN_WIDTH 320
#define RESIZE_SWAY_MIN_HEIGHT 200
#define RESIZE_SWAY_MAX_WIDTH 8192
#define RESIZE_SWAY_MAX_HEIGHT 8192

struct resize_sway;

/* Finds sway's IPC socket: $SWAYSOCK, or the one of the compositor serving
 * $WAYLAND_DISPLAY ($XDG_RUNTIME_DIR/sway-ipc.UID.PID.sock). Returns NULL and
 * sets *ret_error (new string) when the compositor is not sway or swaymsg is
 * missing. */
struct resize_sway *resize_sway_create(char **ret_error);
/* Cancels a running swaymsg (its result is dropped). */
void resize_sway_destroy(struct resize_sway *r);

/* Asks for the first active output to become @width x @height (clamped to
 * the limits above). Failures are logged. */
void resize_sway_apply(struct resize_sway *r, int width, int height);

/* The size last asked for after clamping (0x0 before any request). */
void resize_sway_get_requested(struct resize_sway *r, int *ret_width, int *ret_height);
