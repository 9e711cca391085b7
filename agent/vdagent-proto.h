/* vdagent-proto: the SPICE agent protocol (spice-protocol's vd_agent.h)
 * without any I/O, spice-server or X dependency.
 *
 * Bytes from spice-server's vdagent char device go in through
 * vdagent_proto_feed(): chunks (VDIChunkHeader + at most 2048 bytes) are
 * reassembled per port into messages, each message is validated for its type
 * and handed to one handler. Messages for the client are encoded into whole
 * chunks and queued; spice-server pulls them with vdagent_proto_read().
 *
 * Everything a client sends is untrusted: a malformed message is counted,
 * logged once with its type and size, and dropped; the stream goes on. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vdagent_proto;

/* Clipboard selections as in the protocol. */
enum {
    VDAGENT_SELECTION_CLIPBOARD = 0,
    VDAGENT_SELECTION_PRIMARY = 1,
    VDAGENT_N_SELECTIONS = 2,
};

/* The most monitors a monitors config may carry (spice-gtk sends 16, sparse). */
#define VDAGENT_PROTO_MAX_MONITORS 16
/* The most types one clipboard grab may list. */
#define VDAGENT_PROTO_MAX_GRAB_TYPES 16
/* The most channels one audio volume sync may carry. spice-protocol's
 * VDAgentAudioVolumeSync only bounds it by its u8 count; 32 is what a
 * PulseAudio device can have (PA_CHANNELS_MAX), and spice-gtk sends the
 * channel count of its stereo or mono stream. */
#define VDAGENT_PROTO_MAX_VOLUME_CHANNELS 32

struct vdagent_monitor {
    bool enabled;        /* false: a hole in a sparse config */
    int x, y;            /* 0 unless the config says USE_POS */
    int width, height;
};

struct vdagent_proto_handlers {
    /* Absolute pointer from spice-server: @x, @y relative to monitor @display_id. */
    void (*mouse_state)(int x, int y, uint32_t buttons, int display_id, void *user_data);
    /* @monitors has @n entries; entry i is the client's display i. */
    void (*monitors_config)(const struct vdagent_monitor *monitors, int n, void *user_data);
    /* The client owns @selection and offers @types (VD_AGENT_CLIPBOARD_*). */
    void (*clipboard_grab)(int selection, const uint32_t *types, int n, void *user_data);
    /* The client wants the guest's @selection as @type. */
    void (*clipboard_request)(int selection, uint32_t type, void *user_data);
    /* The client's data for our earlier request; @type NONE means refused. */
    void (*clipboard_data)(int selection, uint32_t type, const uint8_t *data, size_t len,
                           void *user_data);
    void (*clipboard_release)(int selection, void *user_data);
    /* @keyfile is the NUL-terminated GKeyFile text of the start message. */
    void (*file_xfer_start)(uint32_t id, const char *keyfile, void *user_data);
    void (*file_xfer_data)(uint32_t id, const uint8_t *data, size_t len, void *user_data);
    void (*file_xfer_status)(uint32_t id, uint32_t result, void *user_data);
    /* VD_AGENT_AUDIO_VOLUME_SYNC: the client's local volume of its playback
     * (@playback true) or record stream, @n (1..VDAGENT_PROTO_MAX_VOLUME_CHANNELS)
     * channels of 0..65535 each (spice-gtk: its GStreamer stream volume on the
     * cubic scale times 65535), and whether it is muted there. */
    void (*audio_volume)(bool playback, bool mute, const uint16_t *volume, int n,
                         void *user_data);
    /* The client announced its capabilities (query with vdagent_proto_peer_has). */
    void (*caps_received)(void *user_data);
    /* The client went away: protocol state was reset before this call. */
    void (*client_disconnected)(void *user_data);
    /* A message of @type and @size was too large or malformed and was dropped. */
    void (*dropped)(uint32_t type, uint32_t size, void *user_data);
    void *user_data;
};

struct vdagent_proto_config {
    /* Largest message accepted (header excluded); bigger ones are skipped. */
    uint32_t max_message;
    bool clipboard;      /* announce clipboard capabilities */
    bool file_xfer;      /* false: announce FILE_XFER_DISABLED */
    bool audio_volume;   /* announce AUDIO_VOLUME_SYNC: clients then send theirs */
};

/* Any handler may be NULL. Copies @config and @handlers. */
struct vdagent_proto *vdagent_proto_create(const struct vdagent_proto_config *config,
                                           const struct vdagent_proto_handlers *handlers);
void vdagent_proto_destroy(struct vdagent_proto *p);

/* @notify(@data) runs after each message queued for the client. */
void vdagent_proto_set_output_notify(struct vdagent_proto *p, void (*notify)(void *data),
                                     void *data);

/* Consumes bytes written by spice-server (any split). Handlers run inside. */
void vdagent_proto_feed(struct vdagent_proto *p, const uint8_t *buf, size_t len);

/* Copies up to @len queued output bytes into @buf; returns how many. */
size_t vdagent_proto_read(struct vdagent_proto *p, uint8_t *buf, size_t len);
size_t vdagent_proto_pending(const struct vdagent_proto *p);

/* Forgets the client: peer caps, partial messages, grab serials, and queued
 * output not yet started (a message already half read stays whole, so the
 * reader's framing holds). */
void vdagent_proto_reset(struct vdagent_proto *p);

bool vdagent_proto_peer_has(const struct vdagent_proto *p, unsigned cap);
/* The client's VD_AGENT_MAX_CLIPBOARD, or -1 when it sent none. */
int32_t vdagent_proto_peer_max_clipboard(const struct vdagent_proto *p);
/* Messages dropped as malformed or too large since create. */
unsigned vdagent_proto_rejected(const struct vdagent_proto *p);

/* --- messages to the client; each queues whole chunks --- */
void vdagent_proto_send_caps(struct vdagent_proto *p, bool request);
void vdagent_proto_send_reply(struct vdagent_proto *p, uint32_t type, uint32_t error);
void vdagent_proto_send_clipboard_grab(struct vdagent_proto *p, int selection,
                                       const uint32_t *types, int n);
void vdagent_proto_send_clipboard_request(struct vdagent_proto *p, int selection,
                                          uint32_t type);
/* @type NONE with no data tells the client its request is refused. */
void vdagent_proto_send_clipboard(struct vdagent_proto *p, int selection, uint32_t type,
                                  const uint8_t *data, size_t len);
void vdagent_proto_send_clipboard_release(struct vdagent_proto *p, int selection);
/* @detail (may be NULL) is the result's detail structure. */
void vdagent_proto_send_file_xfer_status(struct vdagent_proto *p, uint32_t id, uint32_t result,
                                         const void *detail, size_t detail_len);

/* Encodes one message as chunks for @port into a new buffer (tests, fuzzing). */
uint8_t *vdagent_proto_encode(uint32_t port, uint32_t type, const void *data, size_t len,
                              size_t *ret_len);
