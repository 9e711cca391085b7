/* libFuzzer target: the agent protocol core (chunks, reassembly, every
 * message type's validation, audio volume sync included, replies, reset).
 * Input byte 0 picks how the stream is split, the rest is what spice-server
 * would write to the device. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/vdagent-proto.h"

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
}

static void on_monitors(const struct vdagent_monitor *m, int n, void *user_data)
{
    struct vdagent_proto *p = *(struct vdagent_proto **)user_data;
    for (int i = 0; i < n; i++)
        if (m[i].enabled && (m[i].width <= 0 || m[i].height <= 0 || m[i].width > 16384))
            __builtin_trap();
    (void)p;
}

static void on_request(int sel, uint32_t type, void *user_data)
{
    struct vdagent_proto *p = *(struct vdagent_proto **)user_data;
    if (sel < 0 || sel >= VDAGENT_N_SELECTIONS)
        __builtin_trap();
    vdagent_proto_send_clipboard(p, sel, type, (const uint8_t *)"x", 1);
}

static void on_grab(int sel, const uint32_t *types, int n, void *user_data)
{
    struct vdagent_proto *p = *(struct vdagent_proto **)user_data;
    if (sel < 0 || sel >= VDAGENT_N_SELECTIONS || n < 0 || n > VDAGENT_PROTO_MAX_GRAB_TYPES)
        __builtin_trap();
    vdagent_proto_send_clipboard_request(p, sel, n ? types[0] : 0);
}

static void on_volume(bool playback, bool mute, const uint16_t *volume, int n, void *user_data)
{
    if (n < 1 || n > VDAGENT_PROTO_MAX_VOLUME_CHANNELS)
        __builtin_trap();
    volatile uint32_t sum = 0;
    for (int i = 0; i < n; i++) /* every value is inside the message */
        sum += volume[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        g_log_set_default_handler(quiet, NULL);
        init = true;
    }
    if (size < 1)
        return 0;
    static const size_t steps[] = {1, 2, 3, 7, 8, 20, 64, 2056, 1 << 20};
    size_t step = steps[data[0] % G_N_ELEMENTS(steps)];
    bool drain_often = data[0] & 0x80;
    data++;
    size--;

    struct vdagent_proto *p = NULL;
    struct vdagent_proto_handlers h = {
        .monitors_config = on_monitors, .clipboard_request = on_request,
        .clipboard_grab = on_grab, .audio_volume = on_volume, .user_data = &p};
    struct vdagent_proto_config c = {.max_message = 1 << 16, .clipboard = true,
                                     .file_xfer = true, .audio_volume = true};
    p = vdagent_proto_create(&c, &h);
    uint8_t out[333];
    for (size_t off = 0; off < size; off += step) {
        vdagent_proto_feed(p, data + off, MIN(step, size - off));
        if (drain_often)
            vdagent_proto_read(p, out, sizeof(out));
    }
    while (vdagent_proto_read(p, out, sizeof(out)))
        ;
    if (vdagent_proto_pending(p) != 0)
        __builtin_trap();
    vdagent_proto_destroy(p);
    return 0;
}
