/* virtual-desktop: a private Xvfb with a terminal, for demos and for machines
 * without a desktop. Everything it starts is stopped by destroy, and dies with
 * the agent if the agent is killed. */
#pragma once

struct virtual_desktop;

/* Starts Xvfb at width x height and an xterm on it. Returns NULL and sets
 * *ret_error (new string) on failure. */
struct virtual_desktop *virtual_desktop_start(int width, int height, char **ret_error);
/* The display name, such as ":3". */
const char *virtual_desktop_display(const struct virtual_desktop *vd);
void virtual_desktop_stop(struct virtual_desktop *vd);
