/* dm-hook: `thindesk-agent dm-hook EVENT [--socket=PATH]`, the command
 * LightDM runs as its display-setup-script, session-setup-script and
 * session-cleanup-script. It tells the system service what happened (the
 * DISPLAY, XAUTHORITY and USER LightDM gives it) and ALWAYS exits 0 within
 * about a second, also when the service is absent: a failing hook would make
 * LightDM stop the display server or fall back to the greeter. */
#pragma once

/* @argv[0] is "dm-hook". Returns the exit code: always 0. */
int dm_hook_main(int argc, char **argv);
