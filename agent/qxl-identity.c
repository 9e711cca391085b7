#include "agent/qxl-identity.h"

#include <stdint.h>
#include <string.h>

void qxl_identity_add_memslot(QXLInstance *qin)
{
    QXLDevMemSlot slot = {
        .slot_group_id = 0,
        .slot_id = 0,
        .generation = 0,
        .virt_start = 0,
        .virt_end = ~(uintptr_t)0,
        .addr_delta = 0,
        .qxl_ram_size = ~0u,
    };
    spice_qxl_add_memslot(qin, &slot);
}

void qxl_identity_init_info(QXLDevInitInfo *info)
{
    memset(info, 0, sizeof(*info));
    info->num_memslots_groups = 1;
    info->num_memslots = 1;
    info->memslot_gen_bits = 1;
    info->memslot_id_bits = 1;
    info->qxl_ram_size = ~0u;
    info->internal_groupslot_id = 0;
    info->n_surfaces = 1;
}
