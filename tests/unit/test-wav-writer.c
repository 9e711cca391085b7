/* wav-writer: header fields and sizes are right after close. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "client/wav-writer.h"

static guint32 rd32(const guint8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (guint32)p[3] << 24;
}

static void test_roundtrip(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-wav-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "a.wav", NULL);
    struct wav_writer *w = wav_writer_create(path, 48000, 2);
    g_assert_nonnull(w);
    gint16 samples[960 * 2];
    for (int i = 0; i < 960 * 2; i++)
        samples[i] = (gint16)(i * 7);
    g_assert_cmpint(wav_writer_write(w, samples, sizeof(samples)), ==, 0);
    g_assert_cmpint(wav_writer_write(w, samples, sizeof(samples)), ==, 0);
    g_assert_cmpuint(wav_writer_data_size(w), ==, 2 * sizeof(samples));
    g_assert_cmpint(wav_writer_destroy(w), ==, 0);
    g_assert_cmpint(wav_writer_destroy(NULL), ==, 0);

    g_autofree guint8 *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, (char **)&data, &len, NULL));
    g_assert_cmpuint(len, ==, 44 + 2 * sizeof(samples));
    g_assert_cmpmem(data, 4, "RIFF", 4);
    g_assert_cmpuint(rd32(data + 4), ==, len - 8);
    g_assert_cmpmem(data + 8, 8, "WAVEfmt ", 8);
    g_assert_cmpuint(data[22], ==, 2);
    g_assert_cmpuint(rd32(data + 24), ==, 48000);
    g_assert_cmpuint(rd32(data + 28), ==, 48000 * 4);
    g_assert_cmpuint(data[34], ==, 16);
    g_assert_cmpmem(data + 36, 4, "data", 4);
    g_assert_cmpuint(rd32(data + 40), ==, 2 * sizeof(samples));
    g_assert_cmpmem(data + 44, sizeof(samples), samples, sizeof(samples));
    g_unlink(path);

    g_assert_null(wav_writer_create("/nonexistent/dir/a.wav", 48000, 2));
    g_assert_null(wav_writer_create(path, 0, 2));
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wav-writer/roundtrip", test_roundtrip);
    return g_test_run();
}
