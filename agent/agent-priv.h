/* agent-priv: the agent object's state, shared by agent.c and the files that
 * hold parts of the composition root (agent-channel.c, agent-ops.c,
 * agent-password.c). Nothing outside agent/agent*.c includes it. */
#pragma once

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "agent/audio.h"
#include "agent/control-proto.h"
#include "agent/control.h"
#include "agent/frame-pump.h"
#include "agent/metrics.h"
#include "agent/password.h"
#include "agent/spice-display.h"
#include "agent/spice-input.h"
#include "agent/spice-server.h"
#include "agent/spice-stream.h"
#include "agent/spice-usb.h"
#include "agent/stream-pump.h"
#include "agent/tls.h"
#include "agent/vdagent.h"
#include "agent/vdagent-clipboard.h"
#include "agent/vdagent-file-xfer.h"
#include "agent/virtual-desktop.h"
#include "display/capture.h"
#include "display/resize-sway.h"
#include "display/resize-x11.h"

#include "agent/agent.h"

#define GENERATED_PASSWORD_LENGTH 20
/* Monitors a client may enable (the limit; RandR's dummy has 16). */
#define AGENT_MAX_MONITORS 4
/* Room for clipboard headers on top of the clipboard size cap. */
#define AGENT_MESSAGE_SLACK 4096u

struct seat;
struct web_server;
struct web_pump;
struct web_input;
struct web_clipboard;
struct web_resize;
struct web_audio;

struct agent {
    const struct agent_options *opts;
    GMainLoop *loop;
    int exit_code;
    struct virtual_desktop *vdesk;
    char *display_name;
    char *password;          /* the lasting password (file or generated) */
    char *one_time;          /* armed one-time password, until used or expired */
    gint64 one_time_expiry;  /* monotonic usec; 0: none */
    bool one_time_used;      /* a client got in with it: other channels still may */
    bool one_time_kick;      /* disconnect clients when it is retired */
    unsigned one_time_channels; /* bit per SPICE_CHANNEL_* linked since */
    guint one_time_timer;
    guint restore_idle;
    struct tls_identity *tls;
    char *vv_file;
    struct capture *capture;
    struct mutter_session *mutter; /* GNOME: shared by capture and input */
    SpiceServer *server;
    struct spice_display *display;
    struct spice_input *input;
    struct spice_usb *usb;
    struct frame_pump *pump;      /* --video=desktop */
    struct spice_stream *stream;  /* --video=stream: no QXL display */
    struct stream_pump *vpump;
    struct spice_client_mouse *client_mouse; /* --video=stream: absolute pointer */
    struct audio *audio; /* NULL with --audio=off */
    struct vdagent *vdagent;
    struct resize_x11 *resize; /* NULL: --resize=off or no RandR */
    struct resize_sway *resize_sway; /* --capture=wlr on sway, --resize=on */
    bool resize_refused_said; /* said once that the compositor cannot resize */
    struct vdagent_clipboard *clipboard; /* NULL: --clipboard=off or no X */
    struct vdagent_file_xfer *file_xfer; /* NULL: --file-transfer=off */
    struct resize_rect monitors[AGENT_MAX_MONITORS]; /* as last reported to clients */
    int n_monitors;
    guint sig_int, sig_term, sig_usr1, sig_hup;
    struct control *control;
    struct metrics *metrics;
    struct web_server *web;  /* --web-listen; NULL when off */
    struct web_pump *wpump;  /* the browser viewer's display path */
    struct web_input *web_input;         /* the browser's keys and pointer */
    struct web_clipboard *web_clipboard; /* NULL: no clipboard to share */
    struct web_resize *web_resize;
    struct web_audio *waudio; /* the browser viewer's sound both ways */
    struct metrics_histogram *grab_hist;
    int width, height;
    char *client_address;   /* the connected client, or NULL */
    gint64 client_since_us; /* monotonic */
    uint64_t connections;
    bool stopping; /* in agent_destroy: events from modules are ignored */
    /* --system (agent-system.c) */
    struct seat *seat;
    struct session_xfer *sys_xfer;   /* file transfer through the helper */
    char *sys_session;               /* the logind session in front, NULL: none */
    bool sys_audio_on;               /* the relayed audio wants sound */
    struct session_server *sessions; /* session.sock (system/session-server.h) */
    char *sys_display;     /* the X display captured now, NULL: the placeholder */
    char *sys_xauthority;
    int sys_class;         /* enum seat_class */
    bool capture_lost;     /* the X server went away; waiting for the next */
};

extern const struct capture_listener agent_capture_listener;

void agent_quit(struct agent *a, int code);

/* agent-channel.c: the in-process agent channel (monitors, mouse, clipboard,
 * file transfer). */
bool agent_start_channel(struct agent *a, const char *display, char **ret_error);
/* Tells clients the monitors layout the X outputs have now. */
void agent_report_monitors(struct agent *a);
/* Lays the desktop out as a client's monitors (RandR or sway); returns
 * VD_AGENT_SUCCESS or VD_AGENT_ERROR. Also the browser's size. */
int agent_apply_monitors(struct agent *a, const struct vdagent_monitor *mons, int n);

/* agent-password.c: passwords, one-time passwords, SIGHUP, the .vv file. */
bool agent_choose_password(struct agent *a);
/* With @why NULL after first use: wait for the other channels; otherwise
 * forget the one-time password now. */
void agent_one_time_retire(struct agent *a, const char *why);
void agent_on_channel_linked(int type, void *data);
void agent_on_auth_failed(const char *address, void *data);
gboolean agent_on_hup_signal(gpointer data);
/* A host name for connection URIs ("[::1]" style for IPv6). */
char *agent_connect_host(const char *host);
/* Writes the remote-viewer connection file; returns its path or NULL. */
char *agent_write_vv_file(struct agent *a);

/* agent-system.c: --system, the service that follows seat0. */
bool agent_start_system(struct agent *a, char **ret_error);
void agent_stop_system(struct agent *a);
/* The relayed audio wants the helper to record (a client listens) or not. */
void agent_system_audio_wanted(bool on, void *agent);
void agent_system_audio_mic(const uint32_t *frames, size_t n, void *agent);
/* The client left: --on-disconnect for the session in front. */
void agent_system_client_left(struct agent *a);
/* The "waiting for the desktop" picture, at the current size. */
struct capture *agent_system_placeholder(struct agent *a, char **ret_error);
/* The capture lost its X server: wait for the seat's next one. */
void agent_system_capture_lost(struct agent *a, const char *message);

/* agent-web.c: the browser client (--web-listen). */
bool agent_start_web(struct agent *a, char **ret_error);
void agent_stop_web(struct agent *a);
void agent_print_web_banner(struct agent *a);
/* A SPICE client connected (takes over from the browser) or went. */
void agent_web_spice_client(struct agent *a, bool connected);
/* A new one-time login link valid @seconds (new string), NULL on failure. */
char *agent_web_new_url(struct agent *a, int seconds);

/* agent-web-io.c: the browser's input, clipboard and resize. */
void agent_start_web_io(struct agent *a, const char *display);
void agent_stop_web_io(struct agent *a);
/* The viewer came (true) or went. */
void agent_web_io_viewer(struct agent *a, bool present);
/* HELLO's clipboard and resize bits for these options. */
uint8_t agent_web_io_hello_flags(const struct agent_options *o);

/* agent-ops.c: the control socket and the metrics endpoint. */
bool agent_start_ops(struct agent *a, char **ret_error);
void agent_wire_ops(struct agent *a);
/* Times the grabs of a new frame pump (--system makes one per display). */
void agent_wire_pump(struct agent *a);
