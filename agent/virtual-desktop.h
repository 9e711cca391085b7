/* virtual-desktop: a private Xvfb with a window manager (openbox, when
 * installed) and a terminal, for demos and for machines without a desktop.
 * Everything it starts, and what those start, is stopped by
 * virtual_desktop_stop, and dies with the agent if the agent is killed. */
#pragma once

#include <stdbool.h>

struct virtual_desktop;

/* Starts Xvfb at width x height, openbox and an xterm on it (each optional:
 * a missing one is a warning). Returns NULL and sets
 * *ret_error (new string) on failure. */
struct virtual_desktop *virtual_desktop_start(int width, int height, char **ret_error);
/* The display name, such as ":3". */
const char *virtual_desktop_display(const struct virtual_desktop *vd);
/* Whether a window manager was started on it. */
bool virtual_desktop_has_window_manager(const struct virtual_desktop *vd);
void virtual_desktop_stop(struct virtual_desktop *vd);
