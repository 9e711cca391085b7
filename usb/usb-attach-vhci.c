/* The "vhci" attach backend: the guest kernel's vhci_hcd, reached through
 * thindesk-usb-helper (root), which receives the kernel's end of a socket
 * pair with SCM_RIGHTS and writes it to the controller's attach file. */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "usb/usb-attach-priv.h"
#include "usb/vhci.h"

struct vhci {
    int channel;
    char *helper_socket;
};

static void *vhci_create(const struct usb_attach_config *config)
{
    struct vhci *v = g_new0(struct vhci, 1);
    v->channel = config->channel;
    v->helper_socket = g_strdup(config->helper_socket);
    return v;
}

static void vhci_destroy(void *priv)
{
    struct vhci *v = priv;
    g_free(v->helper_socket);
    g_free(v);
}

static int ask_helper(struct vhci *v, int kernel_fd, int speed, char *reply, size_t reply_size,
                      char **ret_error)
{
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) {
        int e = errno;
        *ret_error = g_strdup_printf("socket: %s", g_strerror(e));
        return -e;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_strlcpy(addr.sun_path, v->helper_socket, sizeof(addr.sun_path));
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        *ret_error = g_strdup_printf("cannot reach thindesk-usb-helper at %s: %s (is thindesk-usb-helper.socket enabled?)", v->helper_socket, g_strerror(e));
        close(s);
        return -e;
    }
    char msg[32];
    int len = g_snprintf(msg, sizeof(msg), "attach %d", speed);
    struct iovec iov = {.iov_base = msg, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &kernel_fd, sizeof(int));
    ssize_t n = sendmsg(s, &mh, MSG_NOSIGNAL);
    if (n >= 0)
        n = recv(s, reply, reply_size - 1, 0);
    int e = errno;
    close(s);
    if (n <= 0) {
        *ret_error = g_strdup_printf("thindesk-usb-helper did not answer: %s",
                                     n == 0 ? "connection closed" : g_strerror(e));
        return n == 0 ? -ECONNRESET : -e;
    }
    reply[n] = 0;
    return 0;
}

static int vhci_plug(void *priv, const struct usb_device_desc *dev, int *ret_fd,
                     char **ret_where, char **ret_error)
{
    struct vhci *v = priv;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        *ret_error = g_strdup_printf("socketpair: %s", g_strerror(e));
        return -e;
    }
    char reply[VHCI_MAX_MESSAGE];
    int r = ask_helper(v, sv[1], dev->speed, reply, sizeof(reply), ret_error);
    close(sv[1]); /* the kernel holds its own reference now */
    if (r < 0) {
        close(sv[0]);
        return r;
    }
    if (!g_str_has_prefix(reply, "ok ")) {
        *ret_error = g_strdup_printf("thindesk-usb-helper refused: %s",
                                     g_str_has_prefix(reply, "error ") ? reply + 6 : reply);
        close(sv[0]);
        return -EPERM;
    }
    *ret_fd = sv[0];
    *ret_where = g_strdup_printf("vhci_hcd port %s", reply + 3);
    return 0;
}

static void vhci_unplug(void *priv)
{
    /* Closing our end of the socket makes vhci_hcd disconnect the port. */
}

const struct usb_attach_ops usb_attach_vhci_ops = {
    .name = "vhci",
    .create = vhci_create,
    .destroy = vhci_destroy,
    .plug = vhci_plug,
    .unplug = vhci_unplug,
};
