/* vdagent-file-xfer: files a client sends (VD_AGENT_FILE_XFER_*) land in one
 * folder: names are checked (no path, no "..", no control characters), an
 * existing file is never overwritten (a free "name (N).ext" is chosen), free
 * space is checked first, and a cancelled or failed transfer leaves nothing
 * behind. Each refusal goes back to the client as a transfer status. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agent/vdagent-proto.h"

struct vdagent_file_xfer;

/* Files go to @dir (created 0700 when missing). @proto must outlive the
 * result. */
struct vdagent_file_xfer *vdagent_file_xfer_create(struct vdagent_proto *proto, const char *dir);
void vdagent_file_xfer_destroy(struct vdagent_file_xfer *fx);

void vdagent_file_xfer_start(struct vdagent_file_xfer *fx, uint32_t id, const char *keyfile);
void vdagent_file_xfer_data(struct vdagent_file_xfer *fx, uint32_t id, const uint8_t *data,
                            size_t len);
/* The client's status for @id (cancelled, or an error on its side). */
void vdagent_file_xfer_status(struct vdagent_file_xfer *fx, uint32_t id, uint32_t result);
/* The client went away: every open transfer is abandoned and removed. */
void vdagent_file_xfer_reset(struct vdagent_file_xfer *fx);

/* True if @name may be created in the folder as it is. */
bool vdagent_file_xfer_name_ok(const char *name);
