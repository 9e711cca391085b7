/* seat: the seat follower against python3-dbusmock's logind template on a
 * private bus (used as the system bus through DBUS_SYSTEM_BUS_ADDRESS), with
 * real X servers (Xvfb) to verify against; the X authority finder against a
 * fake process tree. */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/system/dm-hook.h"
#include "agent/system/seat.h"

#define LOGIND "org.freedesktop.login1"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

struct got {
    enum seat_class klass;
    char *display;
    char *user;
};

static GPtrArray *reports; /* of struct got */
static GDBusConnection *bus;
static GPid bus_pid, mock_pid;
static GPid x_pid[3];
static char x_name[3][16];
static char *tmpdir;

/* Children die with the test, also when an assertion aborts it. */
static void die_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void got_free(gpointer p)
{
    struct got *g = p;
    g_free(g->display);
    g_free(g->user);
    g_free(g);
}

static void on_changed(const struct seat_state *st, void *data)
{
    struct got *g = g_new0(struct got, 1);
    g->klass = st->klass;
    g->display = g_strdup(st->display);
    g->user = g_strdup(st->user);
    g_ptr_array_add(reports, g);
}

static const struct seat_listener listener = {.changed = on_changed};

static void iterate(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(1000);
    }
}

/* Waits until the last report is @klass on @display (NULL: none). */
static bool wait_state(enum seat_class klass, const char *display, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    do {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (reports->len) {
            struct got *g = reports->pdata[reports->len - 1];
            if (g->klass == klass && g_strcmp0(g->display, display) == 0)
                return true;
        }
        g_usleep(1000);
    } while (g_get_monotonic_time() < end);
    struct got *g = reports->len ? reports->pdata[reports->len - 1] : NULL;
    g_printerr("waited for %s on %s, last report: %s on %s\n", seat_class_name(klass),
               display ? display : "(none)", g ? seat_class_name(g->klass) : "nothing",
               g && g->display ? g->display : "(none)");
    return false;
}

static void mock_call(const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(bus, LOGIND, path, iface, method, args,
                                                        NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
                                                        NULL, &error);
    g_assert_no_error(error);
}

static char *session_path(const char *id)
{
    return g_strdup_printf("/org/freedesktop/login1/session/%s", id);
}

static void add_session(const char *id, const char *klass, const char *type,
                        const char *display, const char *user, guint32 uid)
{
    g_autofree char *path = session_path(id);
    GVariantBuilder props;
    g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&props, "{sv}", "Id", g_variant_new_string(id));
    g_variant_builder_add(&props, "{sv}", "Class", g_variant_new_string(klass));
    g_variant_builder_add(&props, "{sv}", "Type", g_variant_new_string(type));
    g_variant_builder_add(&props, "{sv}", "Display", g_variant_new_string(display));
    g_variant_builder_add(&props, "{sv}", "Name", g_variant_new_string(user));
    g_variant_builder_add(&props, "{sv}", "LockedHint", g_variant_new_boolean(FALSE));
    g_variant_builder_add(&props, "{sv}", "Active", g_variant_new_boolean(TRUE));
    g_variant_builder_add(&props, "{sv}", "User",
                          g_variant_new("(uo)", uid, "/org/freedesktop/login1/user/0"));
    mock_call("/org/freedesktop/login1", MOCK_IFACE, "AddObject",
              g_variant_new("(ssa{sv}a(ssss))", path, "org.freedesktop.login1.Session", &props,
                            NULL));
}

static void activate(const char *id)
{
    g_autofree char *path = id ? session_path(id) : g_strdup("/");
    mock_call("/org/freedesktop/login1/seat/seat0", "org.freedesktop.DBus.Properties", "Set",
              g_variant_new("(ssv)", "org.freedesktop.login1.Seat", "ActiveSession",
                            g_variant_new("(so)", id ? id : "", path)));
}

static void set_locked(const char *id, gboolean locked)
{
    g_autofree char *path = session_path(id);
    GVariantBuilder props;
    g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&props, "{sv}", "LockedHint", g_variant_new_boolean(locked));
    mock_call(path, MOCK_IFACE, "UpdateProperties",
              g_variant_new("(sa{sv})", "org.freedesktop.login1.Session", &props));
}

/* Any report without a display since report @from? */
static bool flashed_placeholder(guint from)
{
    for (guint i = from; i < reports->len; i++)
        if (!((struct got *)reports->pdata[i])->display)
            return true;
    return false;
}

/* A display number nobody uses from @from on (no lock file, no socket). */
static int free_display(int from)
{
    for (int n = from; n < 1000; n++) {
        g_autofree char *lock = g_strdup_printf("/tmp/.X%d-lock", n);
        g_autofree char *sock = g_strdup_printf("/tmp/.X11-unix/X%d", n);
        if (!g_file_test(lock, G_FILE_TEST_EXISTS) && !g_file_test(sock, G_FILE_TEST_EXISTS))
            return n;
    }
    return -1;
}

static struct seat *follower(void)
{
    g_autofree char *ldm = g_build_filename(tmpdir, "lightdm", NULL);
    struct seat_config cfg = {.logind = true, .lightdm_run_dir = ldm};
    g_autofree char *error = NULL;
    struct seat *s = seat_create(&cfg, &listener, NULL, &error);
    g_assert_no_error(NULL);
    g_assert_nonnull(s);
    return s;
}

static void test_lightdm_login_keeps_display(void)
{
    struct seat *s = follower();
    g_assert_true(wait_state(SEAT_CLASS_NONE, NULL, 5000));
    add_session("g1", "greeter", "x11", x_name[0], "lightdm", 110);
    activate("g1");
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 5000));
    guint mark = reports->len;
    /* LightDM: the user's session runs on the greeter's X server. */
    add_session("u1", "user", "x11", x_name[0], "alice", 1000);
    activate("u1");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    g_assert_false(flashed_placeholder(mark));
    struct got *last = reports->pdata[reports->len - 1];
    g_assert_cmpstr(last->user, ==, "alice");
    /* Lock and unlock. */
    set_locked("u1", TRUE);
    g_assert_true(wait_state(SEAT_CLASS_LOCKED, x_name[0], 5000));
    set_locked("u1", FALSE);
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    g_assert_false(flashed_placeholder(mark));
    /* A lock-screen session of its own. */
    add_session("l1", "lock-screen", "x11", x_name[0], "alice", 1000);
    activate("l1");
    g_assert_true(wait_state(SEAT_CLASS_LOCKED, x_name[0], 5000));
    seat_destroy(s);
}

static void test_gdm_login_changes_display(void)
{
    struct seat *s = follower();
    add_session("g2", "greeter", "x11", x_name[0], "gdm", 120);
    activate("g2");
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 5000));
    /* GDM: the user's session gets an X server of its own. */
    add_session("u2", "user", "x11", x_name[1], "bob", 1001);
    activate("u2");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[1], 5000));
    seat_destroy(s);
}

static void test_no_active_session_and_empty_display(void)
{
    struct seat *s = follower();
    add_session("u3", "user", "x11", x_name[0], "carol", 1002);
    activate("u3");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    /* The moment the seat has no active session (switching). */
    activate(NULL);
    g_assert_true(wait_state(SEAT_CLASS_NONE, NULL, 5000));
    /* A session without a Display: the placeholder. */
    add_session("u4", "user", "x11", "", "dave", 1003);
    activate("u4");
    g_assert_true(wait_state(SEAT_CLASS_USER, NULL, 5000));
    /* A Wayland session: the placeholder too. */
    add_session("w1", "user", "wayland", "", "erin", 1004);
    activate("w1");
    g_assert_true(wait_state(SEAT_CLASS_USER, NULL, 5000));
    activate("u3");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    seat_destroy(s);
}


/* The session's X server comes up after the session: retry until it is. */
static void test_waits_for_the_x_server(void)
{
    struct seat *s = follower();
    int n = free_display(600 + (getpid() % 200));
    g_autofree char *name = g_strdup_printf(":%d", n);
    add_session("late", "user", "x11", name, "frank", 1005);
    activate("late");
    g_assert_true(wait_state(SEAT_CLASS_USER, NULL, 5000));
    iterate(500); /* a few retries fail */
    char *argv[] = {"Xvfb", name, "-nolisten", "tcp", "-screen", "0", "320x200x24", NULL};
    GPid pid;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                                die_with_parent, NULL, &pid, &error));
    g_assert_true(wait_state(SEAT_CLASS_USER, name, 10000));
    /* The server goes away (logout): the placeholder, then the next one. */
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    seat_display_lost(s);
    g_assert_true(wait_state(SEAT_CLASS_USER, NULL, 5000));
    seat_destroy(s);
}


/* --- display-manager hooks (no logind) --- */

struct hook_run {
    char **argv;
    int argc;
    int rc;
    gint64 usec;
    gboolean done;
};

static gpointer hook_thread(gpointer data)
{
    struct hook_run *r = data;
    gint64 t0 = g_get_monotonic_time();
    r->rc = dm_hook_main(r->argc, r->argv);
    r->usec = g_get_monotonic_time() - t0;
    g_atomic_int_set(&r->done, TRUE);
    return NULL;
}

/* Runs dm-hook (with DISPLAY, XAUTHORITY, USER as given) while the main
 * loop serves the socket; returns its run time in ms. */
static int run_hook(const char *event, const char *socket, const char *display,
                    const char *user)
{
    if (display)
        g_setenv("DISPLAY", display, TRUE);
    else
        g_unsetenv("DISPLAY");
    g_unsetenv("XAUTHORITY");
    if (user)
        g_setenv("USER", user, TRUE);
    else
        g_unsetenv("USER");
    g_autofree char *sock_arg = g_strdup_printf("--socket=%s", socket);
    char *argv[] = {"dm-hook", (char *)event, sock_arg, NULL};
    struct hook_run r = {.argv = argv, .argc = 3};
    GThread *t = g_thread_new("dm-hook", hook_thread, &r);
    while (!g_atomic_int_get(&r.done)) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(1000);
    }
    g_thread_join(t);
    g_assert_cmpint(r.rc, ==, 0);
    return (int)(r.usec / 1000);
}

/* A peer that sends @line raw; returns what the service answered. */
static char *send_raw(const char *socket, const char *line)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket);
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, NULL);
    g_assert_nonnull(conn);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    g_assert_true(g_output_stream_write_all(out, line, strlen(line), NULL, NULL, NULL));
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    char buf[256] = {0};
    gsize got = 0;
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    g_socket_set_blocking(g_socket_connection_get_socket(conn), FALSE);
    while (!strchr(buf, '\n') && g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        gssize n = g_input_stream_read(in, buf + got, sizeof(buf) - 1 - got, NULL, NULL);
        if (n > 0)
            got += (gsize)n;
        else if (n == 0)
            break;
        g_usleep(1000);
    }
    return g_strdup(buf);
}

static void test_dm_hooks(void)
{
    g_autofree char *ldm = g_build_filename(tmpdir, "lightdm", NULL);
    g_autofree char *sock = g_build_filename(tmpdir, "run", "dm-hook.sock", NULL);
    struct seat_config cfg = {.logind = false, .hook_socket = sock, .lightdm_run_dir = ldm};
    g_autofree char *error = NULL;
    struct seat *s = seat_create(&cfg, &listener, NULL, &error);
    g_assert_nonnull(s);
    g_assert_true(wait_state(SEAT_CLASS_NONE, NULL, 5000));
    GStatBuf st;
    g_assert_cmpint(g_stat(sock, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    /* LightDM: display-setup, a failed login attempt, a login, logout. */
    g_assert_cmpint(run_hook("display-setup", sock, x_name[0], NULL), <, 1000);
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 5000));
    guint mark = reports->len;
    run_hook("session-cleanup", sock, x_name[0], NULL); /* the failed attempt */
    iterate(200);
    g_assert_cmpuint(reports->len, ==, mark);
    run_hook("session-setup", sock, x_name[0], "alice");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    g_assert_false(flashed_placeholder(mark));
    g_assert_cmpstr(((struct got *)reports->pdata[reports->len - 1])->user, ==, "alice");
    run_hook("session-cleanup", sock, x_name[0], "alice");
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 5000));
    /* LightDM's next greeter may be on another server. */
    run_hook("display-setup", sock, x_name[1], NULL);
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[1], 5000));

    /* Garbage is refused with a reason and changes nothing. */
    mark = reports->len;
    g_autofree char *a1 = send_raw(sock, "reboot DISPLAY=:0\n");
    g_assert_true(g_str_has_prefix(a1, "error: unknown event"));
    g_autofree char *a2 = send_raw(sock, "display-setup\n");
    g_assert_true(g_str_has_prefix(a2, "error: no DISPLAY"));
    g_autofree char *a3 = send_raw(sock, "\n");
    g_assert_true(g_str_has_prefix(a3, "error: empty"));
    GString *big = g_string_new("display-setup DISPLAY=");
    for (int i = 0; i < 10000; i++)
        g_string_append_c(big, 'x');
    g_string_append_c(big, '\n');
    g_autofree char *a4 = send_raw(sock, big->str);
    g_string_free(big, TRUE);
    g_assert_true(g_str_has_prefix(a4, "error:"));
    iterate(100);
    g_assert_cmpuint(reports->len, ==, mark);
    /* A hook without an event still exits 0. */
    char *noargs[] = {"dm-hook", NULL};
    g_assert_cmpint(dm_hook_main(1, noargs), ==, 0);
    seat_destroy(s);
    g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
}

/* The service is absent, or hangs: the hook still exits 0 within a second. */
static void test_dm_hook_without_service(void)
{
    g_autofree char *none = g_build_filename(tmpdir, "no-such.sock", NULL);
    g_assert_cmpint(run_hook("display-setup", none, ":0", NULL), <, 1000);
    /* A listener that never answers. */
    g_autofree char *mute = g_build_filename(tmpdir, "mute.sock", NULL);
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(mute);
    g_autoptr(GSocket) ls = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_assert_true(g_socket_bind(ls, addr, TRUE, NULL));
    g_assert_true(g_socket_listen(ls, NULL));
    int ms = run_hook("session-setup", mute, ":0", "alice");
    g_assert_cmpint(ms, >=, 500);
    g_assert_cmpint(ms, <, 1000);
    g_socket_close(ls, NULL);
}

static int count_fds(void)
{
    int n = 0;
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static void test_flaps_leak_nothing(void)
{
    struct seat *s = follower();
    add_session("fa", "greeter", "x11", x_name[0], "lightdm", 110);
    add_session("fb", "user", "x11", x_name[1], "alice", 1000);
    activate("fa");
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 5000));
    int fds = count_fds();
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < 1000; i++) {
        activate(i % 2 ? "fa" : "fb");
        g_assert_true(wait_state(i % 2 ? SEAT_CLASS_GREETER : SEAT_CLASS_USER,
                                 x_name[i % 2 ? 0 : 1], 5000));
    }
    g_test_message("1000 flaps in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    iterate(100);
    g_assert_cmpint(count_fds(), <=, fds);
    seat_destroy(s);
}

static void write_file(const char *path, const char *data, gsize len)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0700);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static void test_xauthority_finder(void)
{
    g_autofree char *root = g_build_filename(tmpdir, "finder", NULL);
    g_autofree char *proc = g_build_filename(root, "proc", NULL);
    g_autofree char *ldm = g_build_filename(root, "lightdm", NULL);
    g_autofree char *runuser = g_build_filename(root, "run-user", NULL);
    struct seat_config cfg = {.lightdm_run_dir = ldm, .proc_root = proc, .run_user_root = runuser};
    /* LightDM's cookie. */
    g_autofree char *ldm_cookie = g_build_filename(ldm, "root", ":3", NULL);
    write_file(ldm_cookie, "x", 1);
    g_autofree char *a = seat_find_xauthority(&cfg, ":3", -1);
    g_assert_cmpstr(a, ==, ldm_cookie);
    /* GDM's, per user. */
    g_autofree char *gdm_cookie = g_build_filename(runuser, "1000", "gdm", "Xauthority", NULL);
    write_file(gdm_cookie, "x", 1);
    g_autofree char *b = seat_find_xauthority(&cfg, ":1", 1000);
    g_assert_cmpstr(b, ==, gdm_cookie);
    g_autofree char *b2 = seat_find_xauthority(&cfg, ":1", 1001);
    g_assert_null(b2);
    /* The X server's -auth argument; other processes and displays do not count. */
    static const char xorg[] = "/usr/lib/xorg/Xorg\0:5\0-seat\0seat0\0-auth\0/run/x/auth5\0-nolisten\0tcp";
    static const char other[] = "/usr/bin/xterm\0:5\0-auth\0/tmp/evil";
    static const char xorg7[] = "Xorg\0:7\0-auth\0/run/x/auth7";
    static const char relative[] = "Xvfb\0:8\0-auth\0auth8";
    g_autofree char *p1 = g_build_filename(proc, "100", "cmdline", NULL);
    g_autofree char *p2 = g_build_filename(proc, "99", "cmdline", NULL);
    g_autofree char *p3 = g_build_filename(proc, "101", "cmdline", NULL);
    g_autofree char *p4 = g_build_filename(proc, "102", "cmdline", NULL);
    g_autofree char *p5 = g_build_filename(proc, "self", "cmdline", NULL);
    write_file(p1, xorg, sizeof(xorg));
    write_file(p2, other, sizeof(other));
    write_file(p3, xorg7, sizeof(xorg7));
    write_file(p4, relative, sizeof(relative));
    write_file(p5, xorg, sizeof(xorg));
    g_autofree char *c = seat_find_xauthority(&cfg, ":5", -1);
    g_assert_cmpstr(c, ==, "/run/x/auth5");
    g_autofree char *d = seat_find_xauthority(&cfg, ":7", -1);
    g_assert_cmpstr(d, ==, "/run/x/auth7");
    g_autofree char *e = seat_find_xauthority(&cfg, ":8", -1);
    g_assert_null(e);
    g_autofree char *f = seat_find_xauthority(&cfg, ":9", -1);
    g_assert_null(f);
    g_autofree char *g = seat_find_xauthority(&cfg, "", -1);
    g_assert_null(g);
}

static bool x_answers(const char *name)
{
    g_autofree char *cmd = g_strdup_printf("xdpyinfo -display %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Starts Xvfb on a free display from @from on; writes ":N" into @ret_name.
 * (Not -displayfd: on a shared machine it raced with other servers.) */
static GPid start_xvfb_from(int from, char *ret_name)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int n = free_display(from);
        snprintf(ret_name, 16, ":%d", n);
        char *argv[] = {"Xvfb", ret_name, "-nolisten", "tcp", "-screen", "0", "320x200x24", NULL};
        GPid pid;
        if (!g_spawn_async(NULL, argv, NULL,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                           die_with_parent, NULL, &pid, NULL))
            return 0;
        for (int i = 0; i < 100; i++) {
            if (x_answers(ret_name))
                return pid;
            if (waitpid(pid, NULL, WNOHANG) == pid)
                break;
            g_usleep(50000);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        from = n + 1;
    }
    return 0;
}

static GPid start_xvfb(char *ret_name)
{
    return start_xvfb_from(150 + (getpid() % 200), ret_name);
}

/* The private bus listens on a fixed path, so a restarted one has the same
 * address. */
static bool start_bus(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "system_bus_socket", NULL);
    g_autofree char *listen = g_strdup_printf("--address=unix:path=%s", path);
    char *bus_argv[] = {"dbus-daemon", "--session", "--nofork", listen, "--print-address=1",
                        NULL};
    int out;
    if (!g_spawn_async_with_pipes(NULL, bus_argv, NULL,
                                  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                  die_with_parent, NULL, &bus_pid, NULL, &out, NULL, NULL))
        return false;
    char addr[512] = {0};
    ssize_t n = read(out, addr, sizeof(addr) - 1);
    close(out);
    if (n <= 0)
        return false;
    g_strchomp(addr);
    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, TRUE);
    /* Our own connection: the shared one raises SIGTERM when the bus goes. */
    bus = g_dbus_connection_new_for_address_sync(
        addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, NULL);
    if (!bus)
        return false;
    g_dbus_connection_set_exit_on_close(bus, FALSE);
    return true;
}

static bool start_mock(void)
{
    char *mock_argv[] = {"/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "logind",
                         NULL};
    if (!g_spawn_async(NULL, mock_argv, NULL,
                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, die_with_parent,
                       NULL, &mock_pid, NULL))
        return false;
    gboolean has = FALSE;
    for (int i = 0; i < 200 && !has; i++) {
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
            bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", g_variant_new("(s)", LOGIND), G_VARIANT_TYPE("(b)"),
            G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
        if (r)
            g_variant_get(r, "(b)", &has);
        if (!has)
            g_usleep(50000);
    }
    if (!has)
        return false;
    /* seat0 with no active session yet. */
    mock_call("/org/freedesktop/login1", MOCK_IFACE, "AddSeat", g_variant_new("(s)", "seat0"));
    return true;
}

static bool start_bus_and_mock(void)
{
    return start_bus() && start_mock();
}

static void stop(GPid pid);

/* logind restarting, then the system bus restarting: the follower shows the
 * placeholder meanwhile, survives, and follows the new ones. */
static void test_logind_and_bus_restart(void)
{
    struct seat *s = follower();
    add_session("r1", "user", "x11", x_name[0], "alice", 1000);
    activate("r1");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[0], 5000));
    stop(mock_pid);
    mock_pid = 0;
    g_assert_true(wait_state(SEAT_CLASS_NONE, NULL, 5000));
    g_assert_true(start_mock());
    add_session("r2", "user", "x11", x_name[1], "alice", 1000);
    activate("r2");
    g_assert_true(wait_state(SEAT_CLASS_USER, x_name[1], 5000));

    stop(mock_pid);
    mock_pid = 0;
    g_clear_object(&bus);
    stop(bus_pid);
    bus_pid = 0;
    g_assert_true(wait_state(SEAT_CLASS_NONE, NULL, 5000));
    iterate(300);
    g_assert_true(start_bus());
    g_assert_true(start_mock());
    add_session("r3", "greeter", "x11", x_name[0], "lightdm", 110);
    activate("r3");
    g_assert_true(wait_state(SEAT_CLASS_GREETER, x_name[0], 10000));
    seat_destroy(s);
}

static void stop(GPid pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    const char *need[] = {"dbus-daemon", "Xvfb"};
    for (unsigned i = 0; i < G_N_ELEMENTS(need); i++) {
        g_autofree char *p = g_find_program_in_path(need[i]);
        if (!p) {
            printf("SKIP: %s is not installed\n", need[i]);
            return 77;
        }
    }
    if (system("/usr/bin/python3 -c 'import dbusmock' 2>/dev/null") != 0) {
        printf("SKIP: python3-dbusmock is not installed\n");
        return 77;
    }
    tmpdir = g_dir_make_tmp("test-seat-XXXXXX", NULL);
    reports = g_ptr_array_new_with_free_func(got_free);
    for (int i = 0; i < 2; i++) {
        x_pid[i] = start_xvfb(x_name[i]);
        g_assert_cmpint(x_pid[i], >, 0);
        g_test_message("Xvfb %d on %s", (int)x_pid[i], x_name[i]);
    }
    if (!start_bus_and_mock()) {
        printf("SKIP: cannot start a private bus with dbusmock's logind\n");
        return 77;
    }
    g_test_add_func("/seat/xauthority-finder", test_xauthority_finder);
    g_test_add_func("/seat/lightdm-login-keeps-display", test_lightdm_login_keeps_display);
    g_test_add_func("/seat/gdm-login-changes-display", test_gdm_login_changes_display);
    g_test_add_func("/seat/no-active-session-and-empty-display",
                    test_no_active_session_and_empty_display);
    g_test_add_func("/seat/waits-for-the-x-server", test_waits_for_the_x_server);
    g_test_add_func("/seat/flaps-leak-nothing", test_flaps_leak_nothing);
    g_test_add_func("/seat/dm-hooks", test_dm_hooks);
    g_test_add_func("/seat/dm-hook-without-service", test_dm_hook_without_service);
    g_test_add_func("/seat/logind-and-bus-restart", test_logind_and_bus_restart);
    int rc = g_test_run();
    g_clear_object(&bus);
    stop(mock_pid);
    stop(bus_pid);
    for (int i = 0; i < 2; i++)
        stop(x_pid[i]);
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(rm) != 0)
        rc = 1;
    g_ptr_array_unref(reports);
    return rc;
}
