/* One-time passwords through the agent's own function (what the control
 * socket calls), proven with a real SPICE client (spicy-screenshot): the
 * password works once, fails the second time, fails after its expiry, and
 * the lasting password keeps working throughout. The agent runs in this
 * process on the fake capture backend. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/options.h"

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    close(fd);
    return ntohs(sa.sin_port);
}

struct run {
    bool done;
    int status;
};

static void on_child(GPid pid, gint status, gpointer data)
{
    struct run *r = data;
    r->status = status;
    r->done = true;
    g_spawn_close_pid(pid);
}

static char *tmpdir;
static int port;

/* Runs spicy-screenshot while the agent's loop keeps running; true when it
 * got a frame. */
static bool screenshot(const char *password)
{
    g_autofree char *out = g_build_filename(tmpdir, "shot.ppm", NULL);
    g_unlink(out);
    g_autofree char *p = g_strdup_printf("%d", port);
    const char *argv[] = {"spicy-screenshot", "-h", "127.0.0.1", "-p", p, "-o", out, "-w",
                          password,           NULL};
    GPid pid;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &err));
    struct run r = {0};
    g_child_watch_add(pid, on_child, &r);
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while (!r.done && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_assert_true(r.done);
    return g_spawn_check_wait_status(r.status, NULL) && g_file_test(out, G_FILE_TEST_EXISTS);
}

static void run_loop_for(int ms)
{
    gint64 until = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

static struct agent *start_agent(struct agent_options *o)
{
    port = free_port();
    g_autofree char *listen = g_strdup_printf("--listen=127.0.0.1:%d", port);
    g_autofree char *pwfile = g_build_filename(tmpdir, "pw", NULL);
    g_assert_true(g_file_set_contents(pwfile, "lasting-pw\n", -1, NULL));
    g_autofree char *pwarg = g_strdup_printf("--password-file=%s", pwfile);
    char *argv[] = {"thindesk-agent",
                    "--capture=fake",
                    "--input=fake",
                    listen,
                    "--tls-listen=off",
                    pwarg,
                    NULL};
    g_autofree char *none = g_build_filename(tmpdir, "none.conf", NULL);
    struct options_paths paths = {none, none};
    char *err = NULL;
    g_assert_cmpint(options_load(o, G_N_ELEMENTS(argv) - 1, argv, &paths, stdout, &err), ==,
                    OPTIONS_OK);
    struct agent *a = agent_create(o);
    g_assert_nonnull(a);
    return a;
}

static void test_once_then_refused(void)
{
    struct agent_options o;
    struct agent *a = start_agent(&o);
    g_assert_cmpint(agent_set_one_time_password(a, "", 10), ==, -EINVAL);
    g_assert_cmpint(agent_set_one_time_password(a, "otp-1", 0), ==, -EINVAL);
    g_assert_cmpint(agent_set_one_time_password(a, "otp-1", 60), ==, 0);
    g_assert_true(screenshot("otp-1"));
    /* The client's channels are in; the password is spent. */
    run_loop_for(1500);
    g_assert_false(screenshot("otp-1"));
    g_assert_true(screenshot("lasting-pw"));
    g_assert_false(screenshot("otp-1"));
    agent_destroy(a);
    options_finish(&o);
}

static void test_expires(void)
{
    struct agent_options o;
    struct agent *a = start_agent(&o);
    g_assert_cmpint(agent_set_one_time_password(a, "otp-2", 2), ==, 0);
    run_loop_for(3000);
    g_assert_false(screenshot("otp-2"));
    g_assert_true(screenshot("lasting-pw"));
    /* A new one works, and replaces an unused earlier one. */
    g_assert_cmpint(agent_set_one_time_password(a, "otp-3", 60), ==, 0);
    g_assert_cmpint(agent_set_one_time_password(a, "otp-4", 60), ==, 0);
    g_assert_false(screenshot("otp-3"));
    g_assert_true(screenshot("otp-4"));
    agent_destroy(a);
    options_finish(&o);
}

static void test_second_use_in_grace_is_kicked(void)
{
    struct agent_options o;
    struct agent *a = start_agent(&o);
    g_assert_cmpint(agent_set_one_time_password(a, "otp-5", 60), ==, 0);
    g_assert_true(screenshot("otp-5"));
    /* Straight away, inside the grace for the first client's channels: the
     * second client may link but is disconnected before it gets a frame, or
     * is refused outright. */
    g_assert_false(screenshot("otp-5"));
    run_loop_for(1500);
    g_assert_false(screenshot("otp-5"));
    g_assert_true(screenshot("lasting-pw"));
    agent_destroy(a);
    options_finish(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* spice-server warns about clients that go away; that is expected here. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_autofree char *client = g_find_program_in_path("spicy-screenshot");
    if (!client) {
        printf("SKIP: spicy-screenshot is not installed\n");
        return 77;
    }
    tmpdir = g_dir_make_tmp("thindesk-otp-XXXXXX", NULL);
    g_setenv("XDG_RUNTIME_DIR", tmpdir, TRUE);
    g_setenv("XDG_CONFIG_HOME", tmpdir, TRUE);
    g_test_add_func("/one-time-password/once", test_once_then_refused);
    g_test_add_func("/one-time-password/expires", test_expires);
    g_test_add_func("/one-time-password/second-use-in-grace", test_second_use_in_grace_is_kicked);
    int rc = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
