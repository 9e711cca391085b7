/* ctl: `thindesk-agent ctl COMMAND`, the command-line client of the control
 * socket. */
#pragma once

/* @argv[0] is "ctl". Returns the exit code: 0 when the agent answered ok,
 * 1 on an error reply or no agent, 2 on a bad command line. */
int ctl_main(int argc, char **argv);
