/* spice-input: spice-server's keyboard, tablet and mouse interfaces.
 * Main thread only. */
#pragma once

#include <spice.h>
#include <stdbool.h>

#include "agent/options.h"

struct spice_input;

/* Registers the interfaces with @server. Returns NULL and sets *ret_error. */
struct injector_remote_desktop;

/* @remote_desktop: mutter's session for --input=mutter, or NULL. */
struct spice_input *spice_input_create(SpiceServer *server, const struct agent_options *opts,
                                       const struct injector_remote_desktop *remote_desktop,
                                       const char *display, int width, int height,
                                       char **ret_error);
void spice_input_destroy(struct spice_input *input);

/* The desktop is now X display @display (NULL: none, the placeholder; input
 * goes nowhere): the injector follows it (uinput stays as it is, it follows
 * the VT). Returns 0, or -errno with *ret_error set and the old injector kept. */
int spice_input_set_display(struct spice_input *input, const char *display, int width,
                            int height, char **ret_error);
/* The desktop changed size: pointer positions are clamped to it. */
void spice_input_set_screen_size(struct spice_input *input, int width, int height);
/* Absolute pointer from the agent channel (VD_AGENT_MOUSE_STATE, agent mouse
 * mode): @x, @y in screen pixels, @vd_buttons the VD_AGENT_*BUTTON_MASK bits
 * (wheel clicks are presses of the up/down bits). */
void spice_input_agent_mouse(struct spice_input *input, int x, int y, uint32_t vd_buttons);
/* The client went away: release whatever it held down. */
void spice_input_client_gone(struct spice_input *input);

/* The injector input goes to now (it changes with spice_input_set_display),
 * or NULL when view-only: for the browser's input, which shares it. */
struct injector *spice_input_injector(struct spice_input *input);
/* Who else hears of the desktop's lock-key LED changes (one watcher; NULL
 * @changed: none), on the main loop. */
void spice_input_watch_leds(struct spice_input *input,
                            void (*changed)(unsigned leds, void *user), void *user);
