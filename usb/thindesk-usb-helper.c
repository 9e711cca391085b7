/* thindesk-usb-helper: the one privileged step of USB redirection.
 *
 * Runs as root (socket-activated by systemd, or with --socket). A member of
 * the allowed group sends "attach SPEED" with one end of a stream socket
 * pair as SCM_RIGHTS; the helper picks a free vhci_hcd port for that speed
 * and writes "PORT FD DEVID SPEED" to the controller's attach file (the
 * kernel looks FD up in the writer's fd table, hence this helper), then
 * answers "ok PORT" or "error MESSAGE". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usb/vhci.h"

struct helper {
    const char *vhci_dir;
    gid_t allowed_gid;
    bool any_group; /* --allow-group= empty: root only */
    uint32_t next_devid;
};

static bool peer_allowed(const struct helper *h, int conn, char *why, size_t why_size)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        g_snprintf(why, why_size, "cannot read peer credentials");
        return false;
    }
    gid_t groups[256];
    int n = G_N_ELEMENTS(groups);
    struct passwd *pw = getpwuid(cred.uid);
    if (!pw || getgrouplist(pw->pw_name, cred.gid, groups, &n) < 0)
        n = 0;
    if (vhci_peer_allowed(cred.uid, groups, n, h->any_group ? (gid_t)-1 : h->allowed_gid))
        return true;
    g_snprintf(why, why_size, "user %u is not allowed to attach USB devices", cred.uid);
    return false;
}

static int ensure_vhci(const struct helper *h)
{
    g_autofree char *status = g_build_filename(h->vhci_dir, "status", NULL);
    if (access(status, R_OK) == 0)
        return 0;
    if (strcmp(h->vhci_dir, VHCI_SYSFS) == 0) {
        char *argv[] = {"modprobe", "vhci-hcd", NULL};
        int wait_status;
        if (g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                         &wait_status, NULL) &&
            access(status, R_OK) == 0)
            return 0;
    }
    return -ENODEV;
}

/* Attaches @fd; returns the port or -errno with *why set. */
static int attach(struct helper *h, int fd, int speed, char *why, size_t why_size)
{
    if (ensure_vhci(h) < 0) {
        g_snprintf(why, why_size, "vhci_hcd is not available (modprobe vhci-hcd failed; the kernel needs CONFIG_USBIP_VHCI_HCD)");
        return -ENODEV;
    }
    g_autofree char *status_path = g_build_filename(h->vhci_dir, "status", NULL);
    g_autofree char *attach_path = g_build_filename(h->vhci_dir, "attach", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(status_path, &text, NULL, NULL)) {
        g_snprintf(why, why_size, "cannot read %s", status_path);
        return -EIO;
    }
    struct vhci_port ports[VHCI_MAX_PORTS];
    int n = vhci_status_parse(text, ports, VHCI_MAX_PORTS);
    if (n < 0) {
        g_snprintf(why, why_size, "cannot parse %s", status_path);
        return -EIO;
    }
    int port = vhci_pick_port(ports, n, speed);
    if (port < 0) {
        g_snprintf(why, why_size, "no free %s vhci_hcd port", speed == 3 ? "SuperSpeed" : "high-speed");
        return port;
    }
    g_autofree char *line = vhci_attach_line(port, fd, h->next_devid++, vhci_kernel_speed(speed));
    int afd = open(attach_path, O_WRONLY | O_CLOEXEC);
    if (afd < 0 || write(afd, line, strlen(line)) != (ssize_t)strlen(line)) {
        int e = errno;
        g_snprintf(why, why_size, "writing '%s' to %s failed: %s", line, attach_path,
                   g_strerror(e));
        if (afd >= 0)
            close(afd);
        return -e;
    }
    close(afd);
    return port;
}

static void serve(struct helper *h, int conn)
{
    char msg[VHCI_MAX_MESSAGE], reply[VHCI_MAX_MESSAGE + 16], why[VHCI_MAX_MESSAGE] = "";
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    int fd = -1, extra = 0, speed = -1;
    bool ok = peer_allowed(h, conn, why, sizeof(why));
    ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (int i = 0; i < count; i++) {
            int x;
            memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fd < 0) {
                fd = x;
            } else {
                close(x);
                extra++;
            }
        }
    }
    if (ok && (n < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
               vhci_request_parse(msg, n, &speed) < 0)) {
        ok = false;
        g_snprintf(why, sizeof(why), "malformed request (expected 'attach SPEED' with one socket)");
    }
    int type = 0;
    socklen_t tlen = sizeof(type);
    if (ok && (fd < 0 || extra || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
               type != SOCK_STREAM)) {
        ok = false;
        g_snprintf(why, sizeof(why), "the request must carry exactly one stream socket");
    }
    int port = ok ? attach(h, fd, speed, why, sizeof(why)) : -EPERM;
    if (port >= 0) {
        g_snprintf(reply, sizeof(reply), "ok %d", port);
        fprintf(stderr, "thindesk-usb-helper: attached a speed %d device to port %d\n", speed,
                port);
    } else {
        g_snprintf(reply, sizeof(reply), "error %s", why);
        fprintf(stderr, "thindesk-usb-helper: refused: %s\n", why);
    }
    send(conn, reply, strlen(reply), MSG_NOSIGNAL);
    if (fd >= 0)
        close(fd);
}

static int listen_socket(const char *path, gid_t group)
{
    const char *fds = g_getenv("LISTEN_FDS"), *pid = g_getenv("LISTEN_PID");
    if (fds && pid && atoi(fds) == 1 && atol(pid) == (long)getpid())
        return 3; /* systemd socket activation */
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (s < 0 || strlen(path) >= sizeof(addr.sun_path))
        return -1;
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    unlink(path);
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 8) < 0) {
        close(s);
        return -1;
    }
    if (group != (gid_t)-1 && chown(path, 0, group) == 0)
        chmod(path, 0660);
    return s;
}

static const char usage[] =
    "Usage: thindesk-usb-helper [OPTION]...\n"
    "Attach USB devices that SPICE clients redirect to thindesk-agent to this machine's\n"
    "kernel, through the vhci_hcd USB/IP controller.\n"
    "\n"
    "This is the only part of thindesk that runs as root: the kernel takes the\n"
    "socket of a USB/IP connection from the fd table of whoever writes vhci_hcd's\n"
    "attach file. It normally runs socket-activated by thindesk-usb-helper.socket\n"
    "(/run/thindesk/usb-helper.sock). It serves only members of the allowed group\n"
    "(checked with the peer credentials of each connection), attaches only the\n"
    "socket it is handed, and validates every field of a request.\n"
    "\n"
    "Options:\n"
    "  --socket=PATH\n"
    "      listen on PATH when systemd did not hand over a socket (default\n"
    "      /run/thindesk/usb-helper.sock)\n"
    "  --allow-group=GROUP\n"
    "      members of GROUP may attach devices (default thindesk-usb; empty: root only)\n"
    "  --vhci=DIR\n"
    "      the vhci_hcd controller's sysfs directory (default " VHCI_SYSFS ")\n"
    "  --help\n"
    "      show this help and exit\n"
    "\n"
    "Exit status:\n"
    "  0  --help was shown\n"
    "  1  the socket could not be opened, or accepting connections failed\n"
    "  2  the command line is wrong\n"
    "\n"
    "Files:\n"
    "  /usr/lib/systemd/system/thindesk-usb-helper.socket\n"
    "  /usr/lib/sysusers.d/thindesk.conf (creates the thindesk-usb group)\n"
    "\n"
    "See also:\n"
    "  thindesk-agent(1), usbip(8)\n";

int main(int argc, char **argv)
{
    g_autofree char *socket_path = g_strdup("/run/thindesk/usb-helper.sock");
    g_autofree char *group = g_strdup("thindesk-usb");
    g_autofree char *vhci_dir = g_strdup(VHCI_SYSFS);
    static const struct option longopts[] = {{"socket", required_argument, NULL, 's'},
                                             {"allow-group", required_argument, NULL, 'g'},
                                             {"vhci", required_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            g_free(socket_path);
            socket_path = g_strdup(optarg);
            break;
        case 'g':
            g_free(group);
            group = g_strdup(optarg);
            break;
        case 'v':
            g_free(vhci_dir);
            vhci_dir = g_strdup(optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fprintf(stderr, "thindesk-usb-helper: unknown option or missing value: %s (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "thindesk-usb-helper: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    struct helper h = {.vhci_dir = vhci_dir, .allowed_gid = (gid_t)-1, .next_devid = 0x10001};
    if (*group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            fprintf(stderr, "thindesk-usb-helper: group '%s' does not exist; only root may attach devices\n", group);
            h.any_group = true;
        } else {
            h.allowed_gid = gr->gr_gid;
        }
    } else {
        h.any_group = true;
    }
    signal(SIGPIPE, SIG_IGN);
    int s = listen_socket(socket_path, h.allowed_gid);
    if (s < 0) {
        fprintf(stderr, "thindesk-usb-helper: cannot listen on %s: %s\n", socket_path,
                g_strerror(errno));
        return 1;
    }
    for (;;) {
        int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fprintf(stderr, "thindesk-usb-helper: accept: %s\n", g_strerror(errno));
            return 1;
        }
        serve(&h, conn);
        close(conn);
    }
}
