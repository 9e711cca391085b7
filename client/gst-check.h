/* gst-check: the GStreamer elements spice-gtk 0.42 builds its audio
 * pipelines from, whether this machine has them, and the one line that
 * says what is missing and which Debian package brings it.
 *
 * spice-gtk's pipelines (spice-gstaudio.c):
 *   playback: appsrc ! queue ! audioconvert ! audioresample ! autoaudiosink
 *   record:   autoaudiosrc ! queue ! audioconvert ! audioresample ! appsink
 * Its video decoders (channel-display-gst.c) are optional: MJPEG, the only
 * codec the agent streams, is decoded by spice-gtk itself, and a codec
 * whose decoder is missing is simply not offered to the server. */
#pragma once

#include <stdbool.h>

enum gst_check_feature {
    GST_CHECK_PLAYBACK,
    GST_CHECK_RECORD,
    GST_CHECK_VIDEO_VP8,
    GST_CHECK_VIDEO_VP9,
    GST_CHECK_VIDEO_H264,
    GST_CHECK_VIDEO_H265,
    GST_CHECK_FEATURE_COUNT,
};

/* True if GStreamer has an element factory named @element. */
typedef bool (*gst_check_lookup_fn)(const char *element, void *data);

/* True if every element @feature needs is there. Otherwise false, with
 * *ret_message set (free it) to one line without a trailing newline that
 * names the feature, each missing element and its package (the unit test
 * shows them). @lookup is gst_check_has_element, or a fake in tests. */
bool gst_check_feature(enum gst_check_feature feature, gst_check_lookup_fn lookup, void *data,
                       char **ret_message);

/* The real lookup: initialises GStreamer on first use (as spice-gtk does);
 * if GStreamer cannot start, no element is there. @data is unused. */
bool gst_check_has_element(const char *element, void *data);

/* NULL if GStreamer starts, else why not (owned by the module). */
const char *gst_check_init_error(void);

/* Keeps autoaudiosink and autoaudiosrc from trying OpenAL's elements
 * (gstreamer1.0-plugins-bad, which H.264 streams need for h264parse): they
 * wrap the same sound servers as pulsesink, and where none answers, OpenAL
 * Soft and ALSA print a page of errors on standard error. */
void gst_check_skip_openal(void);
