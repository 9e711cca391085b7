/* settings: every setting of the thindesk client, declared once in one table
 * (command-line name, config key, .vv key, type, default, help).
 *
 * Sources, later wins: built-in defaults < /etc/thindesk/client.conf <
 * $XDG_CONFIG_HOME/thindesk/client.conf < --config=FILE < the .vv connection
 * file < the command line. A spice:// URI on the command line counts as
 * command line. Validated at load, read-only afterwards. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "client/vv-file.h"

#define SETTINGS_RECONNECT_ALWAYS (-1)

struct settings {
    /* where to connect */
    char *target; /* the positional argument: URI or .vv path */
    char *host;
    int port, tls_port; /* 0: none */
    char *password;     /* from a .vv file or --password-file */
    char *password_file;
    char *title;
    /* window */
    bool fullscreen, kiosk, headless, audio;
    char *admin_hotkey, *release_cursor, *toggle_fullscreen;
    int reconnect; /* 0 never, N attempts, SETTINGS_RECONNECT_ALWAYS */
    /* headless actions */
    char *screenshot, *send_keys, *record_audio;
    bool have_pointer;
    int pointer_x, pointer_y;
    bool stats;
    int duration, timeout; /* seconds; duration 0: until done */
    /* TLS */
    char *ca_file, *ca, *host_subject, *secure_channels, *known_hosts;
    /* USB */
    bool usbredir, usb_autoshare, usb_list;
    char *usb_redirect, *usb_auto_filter, *share_cd;
    char **sources;      /* per table entry: where its value came from */
    bool delete_vv_file; /* the .vv file asked to be deleted */
};

enum settings_result {
    SETTINGS_OK,
    SETTINGS_EXIT_OK, /* --help or --version was printed */
    SETTINGS_USAGE,   /* bad command line: exit 2 */
    SETTINGS_CONFIG,  /* bad or unreadable config file: exit 2 */
    SETTINGS_BAD_FILE /* bad .vv file: exit 3 */
};

struct settings_paths {
    const char *system_file; /* NULL: /etc/thindesk/client.conf */
    const char *user_file;   /* NULL: $XDG_CONFIG_HOME/thindesk/client.conf */
};

/* Fills @s. On failure *ret_error is a new string naming the problem. @out
 * receives --help / --version text. A .vv file is read but not deleted:
 * s->delete_vv_file says whether to (see vv_file_delete_if_asked). Keys of a
 * .vv file that are ignored go to @warn (may be NULL) one line each. */
enum settings_result settings_load(struct settings *s, int argc, char **argv,
                                   const struct settings_paths *paths, FILE *out, FILE *warn,
                                   char **ret_error);
void settings_finish(struct settings *s);

/* Where the effective value of @name came from ("default", a file path,
 * "command line"); NULL for an unknown name. */
const char *settings_source(const struct settings *s, const char *name);

void settings_print_help(FILE *out);

/* Reads s->password_file (first line; "-" is standard input) into
 * s->password. 0 or -errno with *ret_error set. */
int settings_read_password(struct settings *s, char **ret_error);
