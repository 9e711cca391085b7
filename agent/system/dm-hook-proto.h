/* dm-hook-proto: the one-line message a display-manager hook sends to the
 * system service's hook socket, shared by the hook (dm-hook.c) and the
 * service (seat-hook.c).
 *
 *   EVENT KEY=VALUE KEY=VALUE ...\n     (values URI-escaped)
 *
 * EVENT is display-setup, greeter-setup, session-setup or session-cleanup;
 * keys are DISPLAY, XAUTHORITY and USER. The service answers "ok\n" or
 * "error: REASON\n". */
#pragma once

#define DM_HOOK_DEFAULT_SOCKET "/run/thindesk/dm-hook.sock"
#define DM_HOOK_MAX_LINE 4096
