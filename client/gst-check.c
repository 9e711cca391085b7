#include "client/gst-check.h"

#include <glib.h>
#include <gst/gst.h>

struct element {
    const char *name;
    const char *package; /* the Debian package with its plugin */
};

static const struct element QUEUE = {"queue", "libgstreamer1.0-0"};
static const struct element APPSRC = {"appsrc", "gstreamer1.0-plugins-base"};
static const struct element APPSINK = {"appsink", "gstreamer1.0-plugins-base"};
static const struct element AUDIOCONVERT = {"audioconvert", "gstreamer1.0-plugins-base"};
static const struct element AUDIORESAMPLE = {"audioresample", "gstreamer1.0-plugins-base"};
static const struct element AUTOAUDIOSINK = {"autoaudiosink", "gstreamer1.0-plugins-good"};
static const struct element AUTOAUDIOSRC = {"autoaudiosrc", "gstreamer1.0-plugins-good"};
static const struct element VP8DEC = {"vp8dec", "gstreamer1.0-plugins-good"};
static const struct element VP9DEC = {"vp9dec", "gstreamer1.0-plugins-good"};
static const struct element H264PARSE = {"h264parse", "gstreamer1.0-plugins-bad"};
static const struct element AVDEC_H264 = {"avdec_h264", "gstreamer1.0-libav"};
static const struct element H265PARSE = {"h265parse", "gstreamer1.0-plugins-bad"};
static const struct element AVDEC_H265 = {"avdec_h265", "gstreamer1.0-libav"};

#define MAX_ELEMENTS 5

static const struct {
    const char *what;
    const struct element *elements[MAX_ELEMENTS + 1];
} features[GST_CHECK_FEATURE_COUNT] = {
    [GST_CHECK_PLAYBACK] = {"audio playback",
                            {&APPSRC, &QUEUE, &AUDIOCONVERT, &AUDIORESAMPLE, &AUTOAUDIOSINK}},
    [GST_CHECK_RECORD] = {"audio recording",
                          {&AUTOAUDIOSRC, &QUEUE, &AUDIOCONVERT, &AUDIORESAMPLE, &APPSINK}},
    [GST_CHECK_VIDEO_VP8] = {"video: VP8 decoding", {&VP8DEC}},
    [GST_CHECK_VIDEO_VP9] = {"video: VP9 decoding", {&VP9DEC}},
    [GST_CHECK_VIDEO_H264] = {"video: H.264 decoding", {&H264PARSE, &AVDEC_H264}},
    [GST_CHECK_VIDEO_H265] = {"video: H.265 decoding", {&H265PARSE, &AVDEC_H265}},
};

bool gst_check_feature(enum gst_check_feature feature, gst_check_lookup_fn lookup, void *data,
                       char **ret_message)
{
    g_return_val_if_fail(feature < GST_CHECK_FEATURE_COUNT, false);
    const struct element *const *need = features[feature].elements;
    const struct element *missing[MAX_ELEMENTS];
    size_t n = 0;
    for (size_t i = 0; need[i]; i++)
        if (!lookup(need[i]->name, data))
            missing[n++] = need[i];
    if (n == 0)
        return true;
    /* One clause per package, in the order the pipeline needs them:
     * "a", "b" missing (package X); "c" missing (package Y) */
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_printf(line, "%s unavailable: GStreamer element%s ", features[feature].what,
                           n > 1 ? "s" : "");
    bool done[MAX_ELEMENTS] = {false};
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        if (i > 0)
            g_string_append(line, "; ");
        const char *sep = "";
        for (size_t j = i; j < n; j++) {
            if (done[j] || g_strcmp0(missing[j]->package, missing[i]->package) != 0)
                continue;
            g_string_append_printf(line, "%s\"%s\"", sep, missing[j]->name);
            sep = ", ";
            done[j] = true;
        }
        g_string_append_printf(line, " missing (package %s)", missing[i]->package);
    }
    *ret_message = g_string_free(g_steal_pointer(&line), FALSE);
    return false;
}

static char *init_error;

static bool init_once(void)
{
    static gsize done;
    static bool ok;
    if (g_once_init_enter(&done)) {
        g_autoptr(GError) err = NULL;
        ok = gst_init_check(NULL, NULL, &err);
        if (!ok)
            init_error = g_strdup(err ? err->message : "unknown reason");
        g_once_init_leave(&done, 1);
    }
    return ok;
}

bool gst_check_has_element(const char *element, void *data)
{
    if (!init_once())
        return false;
    g_autoptr(GstElementFactory) f = gst_element_factory_find(element);
    return f != NULL;
}

const char *gst_check_init_error(void)
{
    init_once();
    return init_error;
}

void gst_check_skip_openal(void)
{
    if (!init_once())
        return;
    static const char *const names[] = {"openalsink", "openalsrc"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GstElementFactory) f = gst_element_factory_find(names[i]);
        if (f)
            gst_plugin_feature_set_rank(GST_PLUGIN_FEATURE(f), GST_RANK_NONE);
    }
}
