/* session-xfer: file transfer under --system. The client's files land in
 * the active user's Downloads folder, created there by the session helper
 * as the user (session-server.h): this side asks for an unnamed file, writes
 * the client's bytes into the descriptor the helper hands over, syncs it and
 * asks the helper to give it its name. The service never opens a path in
 * the user's home. Without a helper, transfers are refused (logged). The
 * handlers mirror vdagent-file-xfer.h. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct vdagent_proto;
struct session_server;
struct session_xfer;

struct session_xfer *session_xfer_create(struct vdagent_proto *proto);
void session_xfer_destroy(struct session_xfer *x);
/* The helper to use now (NULL: none; open transfers are abandoned). */
void session_xfer_set_server(struct session_xfer *x, struct session_server *server);

void session_xfer_start(struct session_xfer *x, uint32_t id, const char *keyfile);
void session_xfer_data(struct session_xfer *x, uint32_t id, const uint8_t *data, size_t len);
void session_xfer_status(struct session_xfer *x, uint32_t id, uint32_t result);
void session_xfer_reset(struct session_xfer *x);
/* The helper went away: every open transfer fails (told to the client). */
void session_xfer_helper_gone(struct session_xfer *x);

/* The helper's answers (session_server_events). */
void session_xfer_file_fd(struct session_xfer *x, uint32_t id, int fd);
void session_xfer_file_kept(struct session_xfer *x, uint32_t id, const char *name);
void session_xfer_file_error(struct session_xfer *x, uint32_t id, int err);
