/* seat: the core of the seat follower (see seat.h): picks the source,
 * finds the X authority, verifies the display, retries with backoff. */
#include "agent/system/seat-priv.h"

#include <dirent.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xcb.h>

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 2000

struct seat {
    struct seat_config config;
    char *lightdm_run_dir, *proc_root, *run_user_root, *hook_socket;
    const struct seat_listener *listener;
    void *user_data;
    struct seat_logind *logind;
    struct seat_hook *hook;
    bool logind_present;
    struct seat_candidate from_logind; /* last view of each source */
    struct seat_candidate from_hook;
    bool have_logind, have_hook;
    struct seat_candidate want; /* the one to show */
    const char *want_source;
    bool attached;              /* reported with its display */
    bool reported;              /* something was reported at all */
    enum seat_class last_class;
    char *last_display, *last_user, *last_xauthority;
    guint work;                 /* idle or retry timer */
    unsigned backoff_ms;
    unsigned attempts;
};

const char *seat_class_name(enum seat_class klass)
{
    switch (klass) {
    case SEAT_CLASS_GREETER:
        return "greeter";
    case SEAT_CLASS_USER:
        return "user";
    case SEAT_CLASS_LOCKED:
        return "locked";
    case SEAT_CLASS_NONE:
        break;
    }
    return "none";
}

void seat_candidate_clear(struct seat_candidate *c)
{
    g_free(c->session);
    g_free(c->type);
    g_free(c->user);
    g_free(c->display);
    g_free(c->xauthority);
    memset(c, 0, sizeof(*c));
    c->uid = -1;
}

static void candidate_copy(struct seat_candidate *dst, const struct seat_candidate *src)
{
    seat_candidate_clear(dst);
    dst->klass = src->klass;
    dst->session = g_strdup(src->session);
    dst->type = g_strdup(src->type);
    dst->user = g_strdup(src->user);
    dst->display = g_strdup(src->display);
    dst->xauthority = g_strdup(src->xauthority);
    dst->uid = src->uid;
}

static bool candidate_equal(const struct seat_candidate *a, const struct seat_candidate *b)
{
    return a->klass == b->klass && g_strcmp0(a->session, b->session) == 0 &&
           g_strcmp0(a->type, b->type) == 0 && g_strcmp0(a->user, b->user) == 0 &&
           g_strcmp0(a->display, b->display) == 0 &&
           g_strcmp0(a->xauthority, b->xauthority) == 0 && a->uid == b->uid;
}

/* --- the X authority finder --- */

static bool readable(const char *path)
{
    return path && g_file_test(path, G_FILE_TEST_IS_REGULAR) && access(path, R_OK) == 0;
}

/* The -auth FILE of the X server process whose arguments name @display. */
static char *auth_from_processes(const char *proc_root, const char *display)
{
    DIR *dir = opendir(proc_root);
    if (!dir)
        return NULL;
    char *found = NULL;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        g_autofree char *path = g_build_filename(proc_root, de->d_name, "cmdline", NULL);
        g_autofree char *cmdline = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &cmdline, &len, NULL) || len == 0)
            continue;
        /* NUL-separated arguments: argv[0], then the display and -auth. */
        GPtrArray *args = g_ptr_array_new();
        for (gsize i = 0; i < len; i += strlen(cmdline + i) + 1)
            g_ptr_array_add(args, cmdline + i);
        bool names_display = false;
        const char *auth = NULL;
        for (guint i = 1; i < args->len; i++) {
            const char *arg = args->pdata[i];
            if (strcmp(arg, display) == 0)
                names_display = true;
            else if (strcmp(arg, "-auth") == 0 && i + 1 < args->len)
                auth = args->pdata[i + 1];
        }
        if (names_display && auth) {
            g_autofree char *base = g_path_get_basename(args->pdata[0]);
            if (g_str_has_prefix(base, "X") || strstr(base, "Xorg") || strstr(base, "Xvfb"))
                found = g_strdup(auth);
        }
        g_ptr_array_free(args, TRUE);
    }
    closedir(dir);
    return found;
}

char *seat_find_xauthority(const struct seat_config *config, const char *display, long uid)
{
    if (!display || !*display)
        return NULL;
    const char *lightdm = config->lightdm_run_dir ? config->lightdm_run_dir : "/var/run/lightdm";
    const char *run_user = config->run_user_root ? config->run_user_root : "/run/user";
    const char *proc = config->proc_root ? config->proc_root : "/proc";
    g_autofree char *ldm = g_build_filename(lightdm, "root", display, NULL);
    if (readable(ldm))
        return g_steal_pointer(&ldm);
    if (uid >= 0) {
        g_autofree char *uid_s = g_strdup_printf("%ld", uid);
        g_autofree char *gdm = g_build_filename(run_user, uid_s, "gdm", "Xauthority", NULL);
        if (readable(gdm))
            return g_steal_pointer(&gdm);
    }
    char *auth = auth_from_processes(proc, display);
    if (auth && !g_path_is_absolute(auth)) {
        g_free(auth);
        return NULL;
    }
    return auth;
}

/* --- verifying and reporting --- */

static void report(struct seat *s, const char *display, const char *xauth)
{
    const struct seat_candidate *w = &s->want;
    struct seat_state st = {
        .klass = w->klass,
        .source = s->want_source ? s->want_source : "none",
        .session = w->session,
        .type = w->type,
        .user = w->user,
        .uid = w->uid,
        .display = display,
        .xauthority = xauth,
    };
    if (s->reported && s->last_class == w->klass && g_strcmp0(s->last_display, display) == 0 &&
        g_strcmp0(s->last_xauthority, xauth) == 0 && g_strcmp0(s->last_user, w->user) == 0)
        return;
    g_free(s->last_xauthority);
    s->last_xauthority = g_strdup(xauth);
    s->reported = true;
    s->last_class = w->klass;
    g_free(s->last_display);
    s->last_display = g_strdup(display);
    g_free(s->last_user);
    s->last_user = g_strdup(w->user);
    s->listener->changed(&st, s->user_data);
}

static bool verify_display(const char *display, const char *xauth)
{
    if (xauth)
        g_setenv("XAUTHORITY", xauth, TRUE);
    else
        g_unsetenv("XAUTHORITY");
    xcb_connection_t *c = xcb_connect(display, NULL);
    bool ok = !xcb_connection_has_error(c);
    xcb_disconnect(c);
    return ok;
}

static gboolean on_work(gpointer data);

static void schedule(struct seat *s, unsigned delay_ms)
{
    if (s->work)
        g_source_remove(s->work);
    s->work = delay_ms ? g_timeout_add(delay_ms, on_work, s) : g_idle_add(on_work, s);
}

/* Tries to show the wanted session; reports the placeholder meanwhile. */
static void attach(struct seat *s)
{
    struct seat_candidate *w = &s->want;
    if (w->klass == SEAT_CLASS_NONE) {
        report(s, NULL, NULL);
        return;
    }
    if (w->type && strcmp(w->type, "wayland") == 0) {
        if (s->attempts++ == 0)
            g_message("seat: session %s of %s is a Wayland session: showing the placeholder until Wayland capture exists",
                      w->session ? w->session : "?", w->user ? w->user : "?");
        report(s, NULL, NULL);
        return;
    }
    if (!w->display || !*w->display) {
        /* logind sets Display only at session start; GDM's Xorg may come
         * later. A session without a display is shown as the placeholder
         * (and may gain one through a hook). */
        if (s->attempts++ == 0)
            g_message("seat: session %s has no X display: showing the placeholder",
                      w->session ? w->session : "?");
        report(s, NULL, NULL);
        return;
    }
    g_autofree char *xauth =
        w->xauthority ? g_strdup(w->xauthority) : seat_find_xauthority(&s->config, w->display, w->uid);
    if (verify_display(w->display, xauth)) {
        s->attached = true;
        s->backoff_ms = 0;
        if (s->attempts > 1)
            g_message("seat: X display %s is up after %u attempts", w->display, s->attempts);
        s->attempts = 0;
        report(s, w->display, xauth);
        return;
    }
    if (s->attempts++ == 0)
        g_message("seat: X display %s (authority %s) does not answer yet: retrying with backoff",
                  w->display, xauth ? xauth : "none");
    report(s, NULL, NULL);
    s->backoff_ms = s->backoff_ms ? MIN(s->backoff_ms * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    schedule(s, s->backoff_ms);
}

static gboolean on_work(gpointer data)
{
    struct seat *s = data;
    s->work = 0;
    if (!s->attached)
        attach(s);
    return G_SOURCE_REMOVE;
}

/* Chooses between the sources' views: logind while it is there. */
static void choose(struct seat *s)
{
    const struct seat_candidate *pick = NULL;
    const char *source = NULL;
    if (s->logind_present && s->have_logind) {
        pick = &s->from_logind;
        source = "logind";
    } else if (!s->logind_present && s->have_hook) {
        pick = &s->from_hook;
        source = "dm-hook";
    }
    struct seat_candidate none = {.klass = SEAT_CLASS_NONE, .uid = -1};
    if (!pick)
        pick = &none;
    if (candidate_equal(pick, &s->want) && g_strcmp0(source, s->want_source) == 0 && s->reported)
        return;
    candidate_copy(&s->want, pick);
    s->want_source = source;
    s->attached = false;
    s->attempts = 0;
    s->backoff_ms = 0;
    g_message("seat: %s says: %s%s%s%s%s", source ? source : "no source",
              seat_class_name(pick->klass), pick->user ? " " : "", pick->user ? pick->user : "",
              pick->display && *pick->display ? " on " : "",
              pick->display && *pick->display ? pick->display : "");
    schedule(s, 0);
}

void seat_offer(struct seat *s, const char *source, struct seat_candidate *c)
{
    bool logind = strcmp(source, "logind") == 0;
    struct seat_candidate *slot = logind ? &s->from_logind : &s->from_hook;
    if (c->ended) {
        /* LightDM runs session-cleanup-script for every session that stops,
         * also a login attempt that failed: only a user session ending on
         * the display we follow means "back to the greeter". If LightDM then
         * replaces the X server, capture loses it and display-setup-script
         * names the next one. */
        bool ours = s->have_hook && slot->klass == SEAT_CLASS_USER &&
                    (!c->display || g_strcmp0(c->display, slot->display) == 0);
        if (!ours) {
            seat_candidate_clear(c);
            return;
        }
        seat_candidate_clear(c);
        c->klass = SEAT_CLASS_GREETER;
        c->display = g_strdup(slot->display);
        c->xauthority = g_strdup(slot->xauthority);
        c->type = g_strdup("x11");
        c->session = g_strdup("dm-hook");
    }
    seat_candidate_clear(slot);
    *slot = *c;
    memset(c, 0, sizeof(*c));
    c->uid = -1;
    if (logind)
        s->have_logind = true;
    else
        s->have_hook = true;
    choose(s);
}

void seat_logind_present(struct seat *s, bool present)
{
    if (present == s->logind_present)
        return;
    s->logind_present = present;
    if (!present) {
        s->have_logind = false;
        seat_candidate_clear(&s->from_logind);
    }
    g_message("seat: logind %s", present ? "is on the system bus: following seat0"
                                         : "is not on the system bus: following display-manager hooks");
    choose(s);
}

void seat_display_lost(struct seat *s)
{
    if (!s)
        return;
    g_message("seat: the X server of %s went away: waiting for it to come back",
              s->want.display ? s->want.display : "the session");
    s->attached = false;
    s->attempts = 0;
    s->backoff_ms = 0;
    /* Report the placeholder first: the caller drops its capture. */
    g_free(s->last_display);
    s->last_display = g_strdup("(lost)");
    schedule(s, 0);
}

struct seat *seat_create(const struct seat_config *config, const struct seat_listener *listener,
                         void *user_data, char **ret_error)
{
    struct seat *s = g_new0(struct seat, 1);
    s->lightdm_run_dir = g_strdup(config->lightdm_run_dir);
    s->proc_root = g_strdup(config->proc_root);
    s->run_user_root = g_strdup(config->run_user_root);
    s->hook_socket = g_strdup(config->hook_socket);
    s->config = (struct seat_config){
        .logind = config->logind,
        .hook_socket = s->hook_socket,
        .lightdm_run_dir = s->lightdm_run_dir,
        .proc_root = s->proc_root,
        .run_user_root = s->run_user_root,
    };
    s->listener = listener;
    s->user_data = user_data;
    seat_candidate_clear(&s->want);
    seat_candidate_clear(&s->from_logind);
    seat_candidate_clear(&s->from_hook);
    if (s->hook_socket) {
        s->hook = seat_hook_create(s, s->hook_socket, ret_error);
        if (!s->hook) {
            seat_destroy(s);
            return NULL;
        }
    }
    if (config->logind)
        s->logind = seat_logind_create(s);
    /* The first report (the placeholder, until a source speaks). */
    schedule(s, 0);
    return s;
}

void seat_destroy(struct seat *s)
{
    if (!s)
        return;
    if (s->work)
        g_source_remove(s->work);
    seat_logind_destroy(s->logind);
    seat_hook_destroy(s->hook);
    seat_candidate_clear(&s->want);
    seat_candidate_clear(&s->from_logind);
    seat_candidate_clear(&s->from_hook);
    g_free(s->last_display);
    g_free(s->last_user);
    g_free(s->last_xauthority);
    g_free(s->lightdm_run_dir);
    g_free(s->proc_root);
    g_free(s->run_user_root);
    g_free(s->hook_socket);
    g_free(s);
}
