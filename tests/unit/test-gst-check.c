/* gst-check: which elements each feature needs, and the one line that says
 * what is missing, against a fake element registry. */
#include <glib.h>
#include <string.h>

#include "client/gst-check.h"

/* @data: NULL-terminated names of the elements that are missing. */
static bool fake_lookup(const char *element, void *data)
{
    for (const char *const *m = data; *m; m++)
        if (strcmp(*m, element) == 0)
            return false;
    return true;
}

static void test_all_there(void)
{
    const char *none[] = {NULL};
    for (int f = 0; f < GST_CHECK_FEATURE_COUNT; f++) {
        char *msg = NULL;
        g_assert_true(gst_check_feature(f, fake_lookup, none, &msg));
        g_assert_null(msg);
    }
}

static void test_one_missing(void)
{
    const char *appsrc[] = {"appsrc", NULL};
    g_autofree char *msg = NULL;
    g_assert_false(gst_check_feature(GST_CHECK_PLAYBACK, fake_lookup, appsrc, &msg));
    g_assert_cmpstr(msg, ==,
                    "audio playback unavailable: GStreamer element \"appsrc\" missing "
                    "(package gstreamer1.0-plugins-base)");
    char *none = NULL;
    g_assert_true(gst_check_feature(GST_CHECK_RECORD, fake_lookup, appsrc, &none));
    g_assert_null(none);
}

static void test_autodetect_missing(void)
{
    const char *autodetect[] = {"autoaudiosink", "autoaudiosrc", NULL};
    g_autofree char *play = NULL, *rec = NULL;
    g_assert_false(gst_check_feature(GST_CHECK_PLAYBACK, fake_lookup, autodetect, &play));
    g_assert_cmpstr(play, ==,
                    "audio playback unavailable: GStreamer element \"autoaudiosink\" missing "
                    "(package gstreamer1.0-plugins-good)");
    g_assert_false(gst_check_feature(GST_CHECK_RECORD, fake_lookup, autodetect, &rec));
    g_assert_cmpstr(rec, ==,
                    "audio recording unavailable: GStreamer element \"autoaudiosrc\" missing "
                    "(package gstreamer1.0-plugins-good)");
}

/* Several packages: one clause each, elements in pipeline order. */
static void test_grouped_by_package(void)
{
    const char *many[] = {"appsrc", "queue", "audioresample", "autoaudiosink", NULL};
    g_autofree char *msg = NULL;
    g_assert_false(gst_check_feature(GST_CHECK_PLAYBACK, fake_lookup, many, &msg));
    g_assert_cmpstr(msg, ==,
                    "audio playback unavailable: GStreamer elements \"appsrc\", \"audioresample\" "
                    "missing (package gstreamer1.0-plugins-base); \"queue\" missing (package "
                    "libgstreamer1.0-0); \"autoaudiosink\" missing (package "
                    "gstreamer1.0-plugins-good)");
}

static void test_video(void)
{
    const char *libav[] = {"avdec_h264", NULL};
    g_autofree char *msg = NULL;
    g_assert_false(gst_check_feature(GST_CHECK_VIDEO_H264, fake_lookup, libav, &msg));
    g_assert_cmpstr(msg, ==,
                    "video: H.264 decoding unavailable: GStreamer element \"avdec_h264\" missing "
                    "(package gstreamer1.0-libav)");
    char *none = NULL;
    g_assert_true(gst_check_feature(GST_CHECK_VIDEO_VP8, fake_lookup, libav, &none));
}

/* The real registry of this machine (tests/install-deps.sh installs base,
 * good and libav): spice-gtk's audio elements are all there. */
static void test_real_registry(void)
{
    if (gst_check_init_error()) {
        g_test_skip(gst_check_init_error());
        return;
    }
    char *msg = NULL;
    g_assert_true(gst_check_feature(GST_CHECK_PLAYBACK, gst_check_has_element, NULL, &msg));
    g_assert_true(gst_check_feature(GST_CHECK_RECORD, gst_check_has_element, NULL, &msg));
    g_assert_false(gst_check_has_element("no-such-element-thindesk", NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gst-check/all-there", test_all_there);
    g_test_add_func("/gst-check/one-missing", test_one_missing);
    g_test_add_func("/gst-check/autodetect-missing", test_autodetect_missing);
    g_test_add_func("/gst-check/grouped-by-package", test_grouped_by_package);
    g_test_add_func("/gst-check/video", test_video);
    g_test_add_func("/gst-check/real-registry", test_real_registry);
    return g_test_run();
}
