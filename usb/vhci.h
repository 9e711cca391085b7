/* vhci: pure helpers for the kernel's USB/IP virtual host controller
 * (vhci_hcd) and for thindesk-usb-helper's request protocol.
 *
 * The helper protocol is one SOCK_SEQPACKET message each way: the agent sends
 * "attach SPEED" (usbredir speed 0-3) with its socket end as SCM_RIGHTS; the
 * helper answers "ok PORT" or "error MESSAGE". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VHCI_SYSFS          "/sys/devices/platform/vhci_hcd.0"
#define VHCI_STATUS_FREE    4 /* VDEV_ST_NULL */
#define VHCI_MAX_PORTS      256
#define VHCI_MAX_MESSAGE    256

struct vhci_port {
    bool superspeed; /* an "ss" row */
    int port;
    int status;      /* 4: free */
};

/* Parses the controller's status file ("hub port sta spd dev sockfd
 * local_busid" rows). Returns the number of ports, or -EINVAL. */
int vhci_status_parse(const char *text, struct vhci_port *ports, int max);

/* A free port for a device of @usbredir_speed: "hs" rows for low, full and
 * high speed, "ss" rows for super speed. Returns the port or -ENOSPC. */
int vhci_pick_port(const struct vhci_port *ports, int n, int usbredir_speed);

/* usbredir speed 0/1/2/3 to the kernel's enum usb_device_speed 1/2/3/5, or -EINVAL. */
int vhci_kernel_speed(int usbredir_speed);

/* The line written to VHCI_SYSFS/attach: "PORT FD DEVID SPEED". */
char *vhci_attach_line(int port, int fd, uint32_t devid, int kernel_speed);

/* Parses an "attach SPEED" request. Returns 0 or -EINVAL. */
int vhci_request_parse(const char *msg, size_t len, int *ret_usbredir_speed);

/* Whether a peer with @uid and groups @groups may attach devices: root, or a
 * member of @allowed_gid. */
bool vhci_peer_allowed(uid_t uid, const gid_t *groups, int n_groups, gid_t allowed_gid);
