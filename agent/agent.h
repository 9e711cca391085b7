/* agent: the composition root of thindesk-agent. Creates the modules, wires
 * their callbacks, runs the main loop and shuts down in order. */
#pragma once

#include "agent/options.h"

struct agent;

/* Returns NULL after printing why the agent cannot start. */
struct agent *agent_create(const struct agent_options *opts);
/* Runs until a signal or a fatal error; returns the process exit code. */
int agent_run(struct agent *agent);
/* Lets exactly one client in with @password (at most 60 characters) within
 * @seconds; afterwards (or once that client's channels are linked) the lasting
 * password applies again. Replaces an earlier one-time password. For the
 * control socket; main thread. Returns 0 or -EINVAL. */
int agent_set_one_time_password(struct agent *agent, const char *password, int seconds);
void agent_destroy(struct agent *agent);
