/* app: the composition root of the thindesk client. Owns the settings, the
 * current connection, headless actions or the windows, the reconnect policy
 * and the statistics timer; maps what happened to the exit status. */
#pragma once

#include "client/exit-status.h"
#include "client/settings.h"

struct app;

/* Takes over @s (finished by app_destroy). NULL with *ret_error and
 * *ret_status set when the settings cannot work (bad key script, ...). */
struct app *app_create(struct settings *s, enum exit_status *ret_status, char **ret_error);
void app_destroy(struct app *a);

/* Runs until done; returns the exit status. Its one-line reason has been
 * printed to standard error (and shown in a dialog in the GUI). */
enum exit_status app_run(struct app *a);
