/* options: every setting of thindesk-agent, declared once in one table.
 *
 * Sources, later wins: built-in defaults < /etc/thindesk/agent.conf <
 * /etc/thindesk/agent.conf.d/NAME.conf (in name order) <
 * $XDG_CONFIG_HOME/thindesk/agent.conf < --config=FILE < command line.
 * The result is validated at load and read-only afterwards. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

enum image_compression {
    IMAGE_COMPRESSION_AUTO_GLZ,
    IMAGE_COMPRESSION_AUTO_LZ,
    IMAGE_COMPRESSION_QUIC,
    IMAGE_COMPRESSION_GLZ,
    IMAGE_COMPRESSION_LZ,
    IMAGE_COMPRESSION_LZ4,
    IMAGE_COMPRESSION_OFF,
};

enum wan_compression {
    WAN_COMPRESSION_AUTO,
    WAN_COMPRESSION_NEVER,
    WAN_COMPRESSION_ALWAYS,
};

enum streaming_video {
    STREAMING_VIDEO_OFF,
    STREAMING_VIDEO_FILTER,
    STREAMING_VIDEO_ALL,
};

enum video_mode {
    VIDEO_DESKTOP, /* QXL drawables, lossless, spice-server picks codecs */
    VIDEO_STREAM,  /* MJPEG or H.264 through the stream device, no QXL display */
};

enum video_codec {
    VIDEO_CODEC_AUTO,  /* H.264 when the client decodes it, MJPEG otherwise */
    VIDEO_CODEC_H264,  /* H.264 only (MJPEG to clients without H.264, with a warning) */
    VIDEO_CODEC_MJPEG, /* MJPEG always */
};

enum seat_source {
    SEAT_SOURCE_AUTO,
    SEAT_SOURCE_LOGIND,
    SEAT_SOURCE_DM_HOOK,
};

/* --system: what the last client's leaving does to the user's session. */
enum on_disconnect {
    ON_DISCONNECT_LOCK,
    ON_DISCONNECT_NOTHING,
    ON_DISCONNECT_LOGOUT,
};

struct agent_options {
    char *display;           /* NULL: $DISPLAY */
    char *listen_host;       /* from --listen; NULL when off */
    int listen_port;         /* 0: no plain listening socket */
    char *tls_listen_host;   /* from --tls-listen; NULL when off */
    int tls_listen_port;     /* 0: no TLS */
    char *x509_dir;          /* NULL: our own self-signed certificate */
    bool allow_plain;        /* plain listening on non-loopback addresses */
    char *password_file;     /* NULL, a path, or "-" for stdin */
    bool generate_password;
    bool disable_ticketing;
    char *capture;           /* "auto", "wlr", "x11" or "fake"; never auto after capture_choice_resolve() */
    char *fake_script;
    int fake_width, fake_height, fake_fps;
    bool virtual_desktop;    /* start our own Xvfb */
    int virtual_width, virtual_height;
    int image_compression;   /* enum image_compression */
    int jpeg_wan_compression;  /* enum wan_compression */
    int zlib_glz_wan_compression;
    int max_fps;
    int streaming_video;     /* spice-server's video detection: enum below */
    int video;               /* enum video_mode */
    int video_max_fps;
    int video_quality;
    int video_still_quality;
    int video_bitrate;       /* kbit/s; 0: auto (follows the link) */
    int video_max_bitrate;   /* kbit/s */
    int video_codec;         /* enum video_codec */
    bool video_audio_clock;  /* keep SPICE playback running while streaming */
    char *input;             /* auto, uinput, xtest, fake */
    bool view_only;
    bool copy_detection;     /* send window moves and scrolls as copies */
    bool audio;              /* desktop sound and microphone through the sound server */
    char *audio_sink;        /* NULL: create the session's own sink "thindesk" */
    bool resize;             /* follow the client's monitors config with RandR */
    int clipboard;           /* enum clipboard_policy (agent/vdagent-clipboard.h) */
    int clipboard_max_size;  /* bytes */
    bool file_transfer;      /* accept files from clients */
    char *file_transfer_dir; /* NULL: the user's Downloads folder */
    char *log_level;         /* error, warning, info, debug */
    char *control_socket;    /* NULL: $XDG_RUNTIME_DIR/thindesk/control; "none": off */
    char *web_listen_host;   /* --web-listen; NULL when off */
    int web_listen_port;     /* 0: no browser access */
    char *web_origins;       /* extra Origins allowed for /ws and /session */
    int web_token_seconds;   /* life of the banner's one-time login link */
    char *metrics_host;      /* NULL: no metrics endpoint */
    int metrics_port;
    bool check_config;       /* print the effective configuration and exit */
    int usb_channels;        /* usbredir char devices (0: no USB redirection) */
    char *usb_attach;        /* vhci or fake */
    char *usb_policy;        /* usbredir filter rules; NULL allows everything */
    char *usb_helper_socket; /* thindesk-usb-helper's socket (vhci) */
    char *usb_fake_dump;     /* fake: directory for copies of what was read */
    bool system_mode;        /* --system: follow seat0 (agent/system/seat.h) */
    int seat_source;         /* enum seat_source */
    char *dm_hook_socket;    /* --system: where dm-hook reports */
    char *session_socket;    /* --system: where session helpers connect */
    int on_disconnect;       /* enum on_disconnect */
    char **sources;          /* per table entry: where its value came from */
};

enum options_result {
    OPTIONS_OK,
    OPTIONS_EXIT_OK,    /* --help or --version was printed */
    OPTIONS_USAGE,      /* bad command line: exit 2 */
    OPTIONS_CONFIG,     /* bad or unreadable config file: exit 1 */
};

struct options_paths {
    const char *system_file; /* NULL: /etc/thindesk/agent.conf */
    const char *user_file;   /* NULL: $XDG_CONFIG_HOME/thindesk/agent.conf */
    const char *dropin_dir;  /* NULL: /etc/thindesk/agent.conf.d */
};

/* Fills @opts from the sources above. On failure, *ret_error is a new string
 * that names the problem. @out receives --help / --version text. */
enum options_result options_load(struct agent_options *opts, int argc, char **argv,
                                 const struct options_paths *paths, FILE *out,
                                 char **ret_error);
void options_finish(struct agent_options *opts);

/* Where the effective value of option @name came from ("default", a file
 * path, or "command line"); NULL for an unknown name. */
const char *options_source(const struct agent_options *opts, const char *name);

/* Writes the --help text generated from the table. */
void options_print_help(FILE *out);

/* Writes every effective value with its source (for --check-config). */
void options_print_effective(const struct agent_options *opts, FILE *out);

/* One row of the option table, for documentation generators. */
struct option_info {
    const char *name;     /* without the leading -- */
    const char *arg;      /* metavariable, NULL for flags */
    const char *def;      /* default as written, or NULL */
    const char *help;
    bool optional_arg;    /* --name[=ARG] */
    bool cli_only;        /* not a config file key */
};
/* Fills *ret_info for table row @index; false past the end. */
bool options_describe(size_t index, struct option_info *ret_info);

/* Writes a man page in roff: "agent" gives thindesk-agent(1), "conf" gives
 * thindesk-agent.conf(5). Returns false for another @page. */
bool options_print_man(const char *page, FILE *out);

const char *options_image_compression_name(int value);
const char *options_wan_compression_name(int value);
