/* thindesk: the endpoint client. Settings in, app, run, exit status out. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/app.h"
#include "client/exit-status.h"
#include "client/log-filter.h"
#include "client/settings.h"
#include "client/usb.h"

int main(int argc, char **argv)
{
    struct settings s;
    g_autofree char *error = NULL;
    log_filter_install();
    switch (settings_load(&s, argc, argv, NULL, stdout, stderr, &error)) {
    case SETTINGS_OK:
        break;
    case SETTINGS_EXIT_OK:
        settings_finish(&s);
        return EXIT_STATUS_OK;
    case SETTINGS_BAD_FILE:
        fprintf(stderr, "thindesk: %s\n", error);
        settings_finish(&s);
        return EXIT_STATUS_BAD_FILE;
    case SETTINGS_USAGE:
    case SETTINGS_CONFIG:
        fprintf(stderr, "thindesk: %s\n", error);
        settings_finish(&s);
        return EXIT_STATUS_USAGE;
    }
    /* remote-viewer deletes such a file as soon as it has read it. */
    if (s.delete_vv_file && g_unlink(s.target) < 0 && errno != ENOENT)
        fprintf(stderr, "thindesk: %s: cannot delete it as it asks: %s\n", s.target,
                g_strerror(errno));
    if (s.usb_list) {
        int r = usb_list_devices(stdout, &error);
        if (r < 0)
            fprintf(stderr, "thindesk: %s\n", error);
        settings_finish(&s);
        return r < 0 ? EXIT_STATUS_ERROR : EXIT_STATUS_OK;
    }
    if (settings_read_password(&s, &error) < 0) {
        fprintf(stderr, "thindesk: %s\n", error);
        settings_finish(&s);
        return EXIT_STATUS_USAGE;
    }
    enum exit_status status = EXIT_STATUS_ERROR;
    struct app *app = app_create(&s, &status, &error);
    if (!app) {
        fprintf(stderr, "thindesk: %s\n", error);
        settings_finish(&s);
        return status;
    }
    status = app_run(app);
    app_destroy(app);
    return status;
}
