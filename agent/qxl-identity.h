/* qxl-identity: the memory setup every QXL instance of the agent uses. The
 * agent has no guest RAM: one memslot maps "physical" addresses 1:1 onto its
 * own pointers, so QXL commands simply carry pointers. Worker thread. */
#pragma once

#include <spice.h>

/* For QXLInterface.attached_worker: adds the identity memslot. */
void qxl_identity_add_memslot(QXLInstance *qin);

/* For QXLInterface.get_init_info: one memslot group and slot, one surface. */
void qxl_identity_init_info(QXLDevInitInfo *info);
