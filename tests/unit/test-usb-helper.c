/* thindesk-usb-helper end to end without a kernel: the agent's vhci attach
 * backend passes its socket with SCM_RIGHTS to the real helper binary, which
 * picks a port from a fake vhci status file and writes the attach line. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "usb/usb-attach.h"

static const char status_text[] = "hub port sta spd dev      sockfd local_busid\n"
                                  "hs  0000 006 003 00010002 000005 3-1\n"
                                  "hs  0001 004 000 00000000 000000 0-0\n"
                                  "ss  0002 004 000 00000000 000000 0-0\n";

struct fixture {
    char *dir, *vhci, *sock;
    GPid pid;
};

static bool exists(gpointer path)
{
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void start(struct fixture *f)
{
    f->dir = g_dir_make_tmp("thindesk-helper-XXXXXX", NULL);
    f->vhci = g_build_filename(f->dir, "vhci", NULL);
    f->sock = g_build_filename(f->dir, "helper.sock", NULL);
    g_mkdir(f->vhci, 0700);
    g_autofree char *status = g_build_filename(f->vhci, "status", NULL);
    g_assert_true(g_file_set_contents(status, status_text, -1, NULL));
    g_autofree char *sock_arg = g_strdup_printf("--socket=%s", f->sock);
    g_autofree char *vhci_arg = g_strdup_printf("--vhci=%s", f->vhci);
    char *argv[] = {THINDESK_USB_HELPER, sock_arg, vhci_arg, "--allow-group=", NULL};
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &f->pid, NULL));
    for (int i = 0; i < 500 && !exists(f->sock); i++)
        g_usleep(20000);
    g_assert_true(exists(f->sock));
}

static void stop(struct fixture *f)
{
    kill(f->pid, SIGTERM);
    g_spawn_close_pid(f->pid);
    g_autofree char *status = g_build_filename(f->vhci, "status", NULL);
    g_autofree char *attach = g_build_filename(f->vhci, "attach", NULL);
    g_unlink(status);
    g_unlink(attach);
    g_rmdir(f->vhci);
    g_unlink(f->sock);
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->vhci);
    g_free(f->sock);
}

static char *plug(struct fixture *f, int speed, int *ret, char **ret_error)
{
    g_autofree char *attach = g_build_filename(f->vhci, "attach", NULL);
    g_assert_true(g_file_set_contents(attach, "", 0, NULL));
    struct usb_attach_config cfg = {.backend = "vhci", .helper_socket = f->sock};
    char *err = NULL;
    struct usb_attach *a = usb_attach_create(&cfg, &err);
    g_assert_nonnull(a);
    struct usb_device_desc dev = {.speed = speed, .vendor_id = 0x2b23, .product_id = 0xcdcd};
    int fd = -1;
    char *where = NULL;
    *ret = usb_attach_plug(a, &dev, &fd, &where, ret_error);
    if (*ret == 0) {
        /* our end is a connected stream socket */
        int type = 0;
        socklen_t len = sizeof(type);
        g_assert_cmpint(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), ==, 0);
        g_assert_cmpint(type, ==, SOCK_STREAM);
        close(fd);
    }
    usb_attach_destroy(a);
    char *line = NULL;
    g_assert_true(g_file_get_contents(attach, &line, NULL, NULL));
    g_free(where);
    return line;
}

static void test_attach(void)
{
    struct fixture f;
    start(&f);
    int r;
    char *err = NULL;
    g_autofree char *hs = plug(&f, 2, &r, &err);
    g_assert_cmpint(r, ==, 0);
    /* "PORT FD DEVID SPEED": port 1 (0 is busy), kernel speed 3 = high */
    g_auto(GStrv) w = g_strsplit(hs, " ", -1);
    g_assert_cmpuint(g_strv_length(w), ==, 4);
    g_assert_cmpstr(w[0], ==, "1");
    g_assert_cmpint(atoi(w[1]), >, 2);
    g_assert_cmpstr(w[3], ==, "3");
    g_autofree char *ss = plug(&f, 3, &r, &err);
    g_assert_cmpint(r, ==, 0);
    g_assert_true(g_str_has_prefix(ss, "2 "));
    g_assert_true(g_str_has_suffix(ss, " 5"));
    stop(&f);
}

static void test_refusals(void)
{
    struct fixture f;
    start(&f);
    /* no free SuperSpeed port once the status says so */
    g_autofree char *status = g_build_filename(f.vhci, "status", NULL);
    g_assert_true(g_file_set_contents(status,
                                      "hub port sta spd dev      sockfd local_busid\n"
                                      "ss  0002 006 005 00010002 000005 3-1\n",
                                      -1, NULL));
    int r;
    char *err = NULL;
    g_autofree char *line = plug(&f, 3, &r, &err);
    g_assert_cmpint(r, ==, -EPERM);
    g_assert_nonnull(strstr(err, "no free SuperSpeed"));
    g_assert_cmpstr(line, ==, "");
    g_free(err);

    /* a request without a socket */
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_strlcpy(addr.sun_path, f.sock, sizeof(addr.sun_path));
    g_assert_cmpint(connect(s, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(send(s, "attach 2", 8, 0), ==, 8);
    char reply[300] = {0};
    g_assert_cmpint(recv(s, reply, sizeof(reply) - 1, 0), >, 0);
    g_assert_true(g_str_has_prefix(reply, "error "));
    g_assert_nonnull(strstr(reply, "one stream socket"));
    close(s);

    /* a malformed request */
    s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    g_assert_cmpint(connect(s, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(send(s, "attach 9", 8, 0), ==, 8);
    memset(reply, 0, sizeof(reply));
    g_assert_cmpint(recv(s, reply, sizeof(reply) - 1, 0), >, 0);
    g_assert_nonnull(strstr(reply, "malformed request"));
    close(s);
    stop(&f);
}

static void test_no_helper(void)
{
    struct usb_attach_config cfg = {.backend = "vhci", .helper_socket = "/nonexistent/sock"};
    char *err = NULL;
    struct usb_attach *a = usb_attach_create(&cfg, &err);
    struct usb_device_desc dev = {.speed = 2};
    int fd = -1;
    char *where = NULL;
    g_assert_cmpint(usb_attach_plug(a, &dev, &fd, &where, &err), ==, -ENOENT);
    g_assert_nonnull(strstr(err, "thindesk-usb-helper"));
    g_free(err);
    usb_attach_destroy(a);
    err = NULL;
    cfg.backend = "floppy";
    g_assert_null(usb_attach_create(&cfg, &err));
    g_assert_nonnull(strstr(err, "floppy"));
    g_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/usb-helper/attach", test_attach);
    g_test_add_func("/usb-helper/refusals", test_refusals);
    g_test_add_func("/usb-helper/no-helper", test_no_helper);
    return g_test_run();
}
