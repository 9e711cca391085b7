/* agent-channel: wires the in-process SPICE agent channel (monitors config,
 * mouse state, clipboard, file transfer, the client's audio volume) into the
 * agent. */
#include "agent/system/seat.h"
#include "agent/system/session-xfer.h"
#include "agent/agent-priv.h"
#include "agent/mutter-session.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

void agent_report_monitors(struct agent *a)
{
    struct resize_rect rects[RESIZE_X11_MAX_OUTPUTS];
    int n = 0;
    if (!a->display || !a->resize ||
        resize_x11_get_layout(a->resize, rects, AGENT_MAX_MONITORS, &n) < 0)
        return;
    struct spice_display_head heads[AGENT_MAX_MONITORS];
    memcpy(a->monitors, rects, sizeof(*rects) * n);
    a->n_monitors = n;
    for (int i = 0; i < n; i++)
        heads[i] = (struct spice_display_head){rects[i].x, rects[i].y, rects[i].width,
                                               rects[i].height};
    spice_display_set_heads(a->display, heads, n);
}

/* --- agent channel events --- */

/* sway serves one output: it takes the client's first enabled monitor's
 * size; the capture follows the new buffers. */
static void resize_sway_monitors(struct agent *a, const struct vdagent_monitor *mons, int n)
{
    int first = -1, enabled = 0;
    for (int i = 0; i < n; i++) {
        if (!mons[i].enabled)
            continue;
        if (first < 0)
            first = i;
        enabled++;
    }
    if (first < 0)
        return;
    if (enabled > 1)
        g_message("the client enabled %d monitors; sway's output follows the first", enabled);
    g_message("client monitor: %dx%d", mons[first].width, mons[first].height);
    resize_sway_apply(a->resize_sway, mons[first].width, mons[first].height);
}

/* GNOME: a virtual monitor of the agent's own follows the client's first
 * monitor; a real one keeps its size (said once). */
static bool resize_mutter_monitors(struct agent *a, const struct vdagent_monitor *mons, int n)
{
    int first = -1;
    for (int i = 0; i < n && first < 0; i++)
        if (mons[i].enabled)
            first = i;
    if (first < 0 || !a->capture)
        return false;
    int w = CLAMP((int)mons[first].width, RESIZE_SWAY_MIN_WIDTH, RESIZE_SWAY_MAX_WIDTH);
    int h = CLAMP((int)mons[first].height, RESIZE_SWAY_MIN_HEIGHT, RESIZE_SWAY_MAX_HEIGHT);
    g_message("client monitor: %dx%d", (int)mons[first].width, (int)mons[first].height);
    g_autofree char *why = NULL;
    if (capture_request_size(a->capture, w, h, &why) == 0)
        return true;
    if (!a->resize_refused_said)
        g_message("not resizing the desktop for the client: %s", why);
    a->resize_refused_said = true;
    return false;
}

/* A client's monitors config (its windows' sizes): lay out the X outputs, or
 * size sway's output. Returns VD_AGENT_SUCCESS or VD_AGENT_ERROR. */
int agent_apply_monitors(struct agent *a, const struct vdagent_monitor *mons, int n)
{
    bool wlr = strcmp(a->opts->capture, "wlr") == 0;
    if (wlr && a->resize_sway) {
        resize_sway_monitors(a, mons, n);
        return VD_AGENT_SUCCESS;
    }
    if (strcmp(a->opts->capture, "mutter") == 0) {
        bool ok = a->opts->resize && resize_mutter_monitors(a, mons, n);
        return ok ? VD_AGENT_SUCCESS : VD_AGENT_ERROR;
    }
    if (!a->resize) {
        /* wlroots but not sway: said at start, and once here. */
        if (!wlr || !a->resize_refused_said)
            g_message("not resizing the desktop for the client: %s",
                      !a->opts->resize ? "--resize=off"
                      : wlr            ? "the compositor is not sway (see above)"
                                       : "the X server cannot (see above)");
        a->resize_refused_said |= wlr;
        return VD_AGENT_ERROR;
    }
    struct resize_rect rects[AGENT_MAX_MONITORS];
    int count = 0;
    bool positioned = false;
    for (int i = 0; i < n; i++) {
        if (!mons[i].enabled)
            continue;
        if (count == AGENT_MAX_MONITORS) {
            g_message("the client enabled more than %d monitors; using the first %d",
                      AGENT_MAX_MONITORS, AGENT_MAX_MONITORS);
            break;
        }
        rects[count] = (struct resize_rect){mons[i].x, mons[i].y, mons[i].width, mons[i].height};
        positioned |= count > 0 && (mons[i].x != rects[0].x || mons[i].y != rects[0].y);
        count++;
    }
    /* Without positions, monitors go left to right. */
    for (int i = 1; i < count && !positioned; i++) {
        rects[i].x = rects[i - 1].x + rects[i - 1].width;
        rects[i].y = rects[0].y;
    }
    GString *desc = g_string_new(NULL);
    for (int i = 0; i < count; i++)
        g_string_append_printf(desc, "%s%dx%d+%d+%d", i ? ", " : "", rects[i].width,
                               rects[i].height, rects[i].x, rects[i].y);
    g_autofree char *error = NULL;
    int rc = resize_x11_apply(a->resize, rects, count, &error);
    if (rc < 0) {
        g_warning("cannot set the client's monitors (%s): %s", desc->str, error);
    } else {
        g_message("client monitors: %s", desc->str);
        agent_report_monitors(a);
    }
    g_string_free(desc, TRUE);
    return rc < 0 ? VD_AGENT_ERROR : VD_AGENT_SUCCESS;
}

static void on_monitors_config(const struct vdagent_monitor *mons, int n, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    int result = agent_apply_monitors(a, mons, n);
    vdagent_proto_send_reply(vdagent_get_proto(a->vdagent), VD_AGENT_MONITORS_CONFIG, result);
}

/* Absolute pointer through the agent channel (agent mouse mode), relative
 * to the client's monitor @display_id: add that monitor's origin. */
static void on_agent_mouse(int x, int y, uint32_t buttons, int display_id, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    if (display_id >= 0 && display_id < a->n_monitors) {
        x += a->monitors[display_id].x;
        y += a->monitors[display_id].y;
    }
    spice_input_agent_mouse(a->input, x, y, buttons);
}

static void on_agent_caps(void *data)
{
    struct agent *a = data;
    g_message("client agent channel ready");
    if (a->clipboard && !a->stopping)
        vdagent_clipboard_client_ready(a->clipboard);
}

static void on_agent_client_gone(void *data)
{
    struct agent *a = data;
    g_debug("agent channel: client gone, state reset");
    if (a->clipboard && !a->stopping)
        vdagent_clipboard_client_gone(a->clipboard);
    if (a->file_xfer && !a->stopping)
        vdagent_file_xfer_reset(a->file_xfer);
    if (a->sys_xfer && !a->stopping)
        session_xfer_reset(a->sys_xfer);
}

static void on_xfer_start(uint32_t id, const char *keyfile, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer) {
        /* --system: only into a user's session, never the login or lock
         * screen's. */
        if (a->sys_class != SEAT_CLASS_USER) {
            g_message("file transfer %u: refused: %s", id,
                      a->sys_class == SEAT_CLASS_LOCKED ? "the session is locked"
                                                        : "no user session is in front");
            vdagent_proto_send_file_xfer_status(vdagent_get_proto(a->vdagent), id,
                                                VD_AGENT_FILE_XFER_STATUS_ERROR, NULL, 0);
            return;
        }
        session_xfer_start(a->sys_xfer, id, keyfile);
        return;
    }
    vdagent_file_xfer_start(a->file_xfer, id, keyfile);
}

static void on_xfer_data(uint32_t id, const uint8_t *bytes, size_t len, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer)
        session_xfer_data(a->sys_xfer, id, bytes, len);
    if (a->file_xfer)
        vdagent_file_xfer_data(a->file_xfer, id, bytes, len);
}

static void on_xfer_status(uint32_t id, uint32_t result, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer)
        session_xfer_status(a->sys_xfer, id, result);
    if (a->file_xfer)
        vdagent_file_xfer_status(a->file_xfer, id, result);
}

static void on_clip_grab(int sel, const uint32_t *types, int n, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_grab(a->clipboard, sel, types, n);
}

static void on_clip_request(int sel, uint32_t type, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_request(a->clipboard, sel, type);
    else
        vdagent_proto_send_clipboard(vdagent_get_proto(a->vdagent), sel,
                                     VD_AGENT_CLIPBOARD_NONE, NULL, 0);
}

static void on_clip_data(int sel, uint32_t type, const uint8_t *bytes, size_t len, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_data(a->clipboard, sel, type, bytes, len);
}

static void on_clip_release(int sel, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_release(a->clipboard, sel);
}

static void on_agent_volume(bool playback, bool mute, const uint16_t *volume, int n, void *data)
{
    struct agent *a = data;
    if (!a->stopping)
        audio_set_client_volume(a->audio, playback, mute, volume, n);
}

static void on_agent_dropped(uint32_t type, uint32_t size, void *data)
{
    struct agent *a = data;
    if (a->clipboard && type == VD_AGENT_CLIPBOARD)
        vdagent_clipboard_client_data_dropped(a->clipboard);
}

bool agent_start_channel(struct agent *a, const char *display, char **ret_error)
{
    /* --system attaches RandR, the clipboard and file transfer per session
     * (agent-system.c). */
    bool system = a->opts->system_mode;
    if (a->opts->resize && strcmp(a->opts->capture, "x11") == 0 && !system) {
        g_autofree char *error = NULL;
        a->resize = resize_x11_create(display, &error);
        if (!a->resize)
            g_message("%s", error);
    }
    if (a->opts->resize && strcmp(a->opts->capture, "wlr") == 0 && !system) {
        g_autofree char *error = NULL;
        a->resize_sway = resize_sway_create(&error);
        if (!a->resize_sway)
            g_message("%s", error);
    }
    /* The clipboard of the desktop being served: X11's, the wlroots
     * compositor's seat, or GNOME's through the Mutter session. */
    bool wlr = strcmp(a->opts->capture, "wlr") == 0;
    bool gnome = a->mutter && strcmp(a->opts->capture, "mutter") == 0;
    bool clipboard = a->opts->clipboard != CLIPBOARD_POLICY_OFF &&
                     (wlr || gnome || strcmp(a->opts->capture, "x11") == 0);
    struct vdagent_proto_config pc = {
        .max_message = (uint32_t)a->opts->clipboard_max_size + AGENT_MESSAGE_SLACK,
        .clipboard = clipboard,
        .file_xfer = a->opts->file_transfer,
        .audio_volume = a->audio != NULL,
    };
    struct vdagent_proto_handlers h = {
        .mouse_state = on_agent_mouse,
        .monitors_config = on_monitors_config,
        .clipboard_grab = on_clip_grab,
        .clipboard_request = on_clip_request,
        .clipboard_data = on_clip_data,
        .clipboard_release = on_clip_release,
        .file_xfer_start = a->opts->file_transfer ? on_xfer_start : NULL,
        .file_xfer_data = on_xfer_data,
        .file_xfer_status = on_xfer_status,
        .audio_volume = on_agent_volume,
        .caps_received = on_agent_caps,
        .client_disconnected = on_agent_client_gone,
        .dropped = on_agent_dropped,
        .user_data = a,
    };
    a->vdagent = vdagent_create(a->server, &pc, &h);
    if (!a->vdagent) {
        *ret_error = g_strdup("cannot create the agent channel");
        return false;
    }
    if (a->opts->file_transfer && system)
        a->sys_xfer = session_xfer_create(vdagent_get_proto(a->vdagent));
    if (a->opts->file_transfer && !system) {
        const char *dir = a->opts->file_transfer_dir;
        if (!dir)
            dir = g_get_user_special_dir(G_USER_DIRECTORY_DOWNLOAD);
        g_autofree char *fallback = g_build_filename(g_get_home_dir(), "Downloads", NULL);
        a->file_xfer = vdagent_file_xfer_create(vdagent_get_proto(a->vdagent),
                                                dir ? dir : fallback);
    }
    if (clipboard && !system) {
        g_autofree char *error = NULL;
        a->clipboard = vdagent_clipboard_create(
            vdagent_get_proto(a->vdagent), wlr ? "wlr" : gnome ? "mutter" : "x11",
            wlr || gnome ? NULL : display, gnome ? mutter_session_clipboard(a->mutter) : NULL,
            a->opts->clipboard,
                                                (size_t)a->opts->clipboard_max_size, &error);
        if (!a->clipboard)
            g_message("%s", error);
    }
    agent_report_monitors(a);
    return true;
}
