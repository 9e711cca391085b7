#define _GNU_SOURCE /* struct ucred */
#include "display/resize-sway.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <wayland-client.h>

struct resize_sway {
    char *swaymsg;
    char *socket;
    GCancellable *cancel;
    bool busy;           /* a swaymsg runs */
    bool pending;        /* a request came while busy */
    int want_w, want_h;  /* the newest request */
};

/* One run of the chain get_outputs -> output NAME mode WxH; owns a reference
 * to the cancellable so that a callback after destroy can tell. */
struct run {
    struct resize_sway *r;
    GCancellable *cancel;
    int w, h;
};

static bool is_socket(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* sway's IPC socket for the compositor on $WAYLAND_DISPLAY: sway names it
 * after its uid and pid, which the Wayland socket's peer credentials give. */
static char *socket_of_compositor(char **ret_error)
{
    const char *runtime = g_getenv("XDG_RUNTIME_DIR");
    if (!runtime) {
        *ret_error = g_strdup("XDG_RUNTIME_DIR is not set");
        return NULL;
    }
    struct wl_display *dpy = wl_display_connect(NULL);
    if (!dpy) {
        *ret_error = g_strdup("cannot connect to the Wayland display");
        return NULL;
    }
    struct ucred cred = {0};
    socklen_t len = sizeof(cred);
    int rc = getsockopt(wl_display_get_fd(dpy), SOL_SOCKET, SO_PEERCRED, &cred, &len);
    wl_display_disconnect(dpy);
    if (rc < 0 || cred.pid <= 0) {
        *ret_error = g_strdup("cannot tell which process the compositor is");
        return NULL;
    }
    char *path = g_strdup_printf("%s/sway-ipc.%u.%d.sock", runtime, (unsigned)cred.uid,
                                 (int)cred.pid);
    if (!is_socket(path)) {
        *ret_error = g_strdup_printf("the compositor (pid %d) has no sway IPC socket %s",
                                     (int)cred.pid, path);
        g_free(path);
        return NULL;
    }
    return path;
}

struct resize_sway *resize_sway_create(char **ret_error)
{
    g_autofree char *why = NULL;
    g_autofree char *socket = NULL;
    const char *env = g_getenv("SWAYSOCK");
    if (env && *env) {
        if (is_socket(env))
            socket = g_strdup(env);
        else
            why = g_strdup_printf("SWAYSOCK=%s is not a socket", env);
    } else {
        socket = socket_of_compositor(&why);
    }
    g_autofree char *swaymsg = socket ? g_find_program_in_path("swaymsg") : NULL;
    if (socket && !swaymsg)
        why = g_strdup("swaymsg is not installed");
    if (!swaymsg) {
        *ret_error = g_strdup_printf("the compositor is not sway (%s): the desktop cannot "
                                     "follow the client's window size", why);
        return NULL;
    }
    struct resize_sway *r = g_new0(struct resize_sway, 1);
    r->swaymsg = g_steal_pointer(&swaymsg);
    r->socket = g_steal_pointer(&socket);
    r->cancel = g_cancellable_new();
    g_debug("resize: swaymsg %s on %s", r->swaymsg, r->socket);
    return r;
}

void resize_sway_destroy(struct resize_sway *r)
{
    if (!r)
        return;
    g_cancellable_cancel(r->cancel);
    g_object_unref(r->cancel);
    g_free(r->swaymsg);
    g_free(r->socket);
    g_free(r);
}

void resize_sway_get_requested(struct resize_sway *r, int *ret_width, int *ret_height)
{
    *ret_width = r->want_w;
    *ret_height = r->want_h;
}

static void start_run(struct resize_sway *r);

static void run_free(struct run *run)
{
    g_object_unref(run->cancel);
    g_free(run);
}

/* Ends a run: the next request, if one came meanwhile. */
static void run_done(struct run *run)
{
    struct resize_sway *r = run->r;
    bool cancelled = g_cancellable_is_cancelled(run->cancel);
    run_free(run);
    if (cancelled)
        return;
    r->busy = false;
    if (r->pending) {
        r->pending = false;
        start_run(r);
    }
}

static GSubprocess *spawn(struct resize_sway *r, const char *const *args, GError **error)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, r->swaymsg);
    g_ptr_array_add(argv, (char *)"-s");
    g_ptr_array_add(argv, r->socket);
    for (int i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    GSubprocess *p = g_subprocess_newv((const char *const *)argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                       error);
    g_ptr_array_free(argv, TRUE);
    return p;
}

static void on_mode_set(GObject *src, GAsyncResult *res, gpointer data)
{
    struct run *run = data;
    GSubprocess *p = G_SUBPROCESS(src);
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_subprocess_communicate_utf8_finish(p, res, &out, NULL, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("cannot resize sway's output to %dx%d: %s", run->w, run->h,
                      error->message);
    } else if (!g_subprocess_get_successful(p)) {
        g_warning("cannot resize sway's output to %dx%d: swaymsg says %s", run->w, run->h,
                  g_strstrip(out ? out : (char *)""));
    } else {
        g_message("sway's output set to %dx%d for the client", run->w, run->h);
    }
    g_object_unref(p);
    run_done(run);
}

/* The first active output of a get_outputs reply: its name and mode. */
static bool first_active_output(const char *json, char **ret_name, int *ret_w, int *ret_h)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, json, -1, NULL))
        return false;
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_ARRAY(root))
        return false;
    JsonArray *outputs = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(outputs); i++) {
        JsonObject *o = json_array_get_object_element(outputs, i);
        if (!o || !json_object_get_boolean_member_with_default(o, "active", FALSE))
            continue;
        const char *name = json_object_get_string_member_with_default(o, "name", NULL);
        if (!name)
            continue;
        JsonObject *mode = json_object_has_member(o, "current_mode")
                               ? json_object_get_object_member(o, "current_mode")
                               : NULL;
        *ret_w = mode ? (int)json_object_get_int_member_with_default(mode, "width", 0) : 0;
        *ret_h = mode ? (int)json_object_get_int_member_with_default(mode, "height", 0) : 0;
        *ret_name = g_strdup(name);
        return true;
    }
    return false;
}

static void on_outputs(GObject *src, GAsyncResult *res, gpointer data)
{
    struct run *run = data;
    GSubprocess *p = G_SUBPROCESS(src);
    g_autofree char *out = NULL;
    g_autofree char *name = NULL;
    g_autofree char *size = NULL;
    g_autoptr(GError) error = NULL;
    int cur_w = 0, cur_h = 0;
    if (!g_subprocess_communicate_utf8_finish(p, res, &out, NULL, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("cannot ask sway for its outputs: %s", error->message);
        goto done;
    }
    if (g_cancellable_is_cancelled(run->cancel))
        goto done; /* run->r is gone */
    if (!g_subprocess_get_successful(p) || !out ||
        !first_active_output(out, &name, &cur_w, &cur_h)) {
        g_warning("cannot resize sway's output to %dx%d: sway lists no active output",
                  run->w, run->h);
        goto done;
    }
    if (cur_w == run->w && cur_h == run->h) {
        g_debug("sway's output %s is %dx%d already", name, cur_w, cur_h);
        goto done;
    }
    size = g_strdup_printf("%dx%d", run->w, run->h);
    const char *args[] = {"output", name, "mode", size, NULL};
    GSubprocess *set = spawn(run->r, args, &error);
    if (!set) {
        g_warning("cannot run swaymsg: %s", error->message);
        goto done;
    }
    g_debug("swaymsg output %s mode %s", name, size);
    g_subprocess_communicate_utf8_async(set, NULL, run->cancel, on_mode_set, run);
    g_object_unref(p);
    return;

done:
    g_object_unref(p);
    run_done(run);
}

static void start_run(struct resize_sway *r)
{
    g_autoptr(GError) error = NULL;
    const char *args[] = {"-r", "-t", "get_outputs", NULL};
    GSubprocess *p = spawn(r, args, &error);
    if (!p) {
        g_warning("cannot run swaymsg: %s", error->message);
        return;
    }
    struct run *run = g_new0(struct run, 1);
    run->r = r;
    run->cancel = g_object_ref(r->cancel);
    run->w = r->want_w;
    run->h = r->want_h;
    r->busy = true;
    g_subprocess_communicate_utf8_async(p, NULL, run->cancel, on_outputs, run);
}

void resize_sway_apply(struct resize_sway *r, int width, int height)
{
    r->want_w = CLAMP(width, RESIZE_SWAY_MIN_WIDTH, RESIZE_SWAY_MAX_WIDTH);
    r->want_h = CLAMP(height, RESIZE_SWAY_MIN_HEIGHT, RESIZE_SWAY_MAX_HEIGHT);
    if (r->want_w != width || r->want_h != height)
        g_message("client size %dx%d clamped to %dx%d", width, height, r->want_w, r->want_h);
    if (r->busy)
        r->pending = true;
    else
        start_run(r);
}
