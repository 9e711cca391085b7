/* agent: the composition root of thindesk-agent. Creates the modules, wires
 * their callbacks, runs the main loop and shuts down in order. */
#pragma once

#include "agent/options.h"

struct agent;

/* Returns NULL after printing why the agent cannot start. */
struct agent *agent_create(const struct agent_options *opts);
/* Runs until a signal or a fatal error; returns the process exit code. */
int agent_run(struct agent *agent);
void agent_destroy(struct agent *agent);
