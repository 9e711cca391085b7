/* shm-grab-rate: how fast xcb_shm_get_image reads the whole root window.
 * The reference for the agent's own capture cost.
 *
 *   shm-grab-rate SECONDS     prints: grabs per second, ms per grab */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    xcb_connection_t *c = xcb_connect(NULL, NULL);
    if (xcb_connection_has_error(c))
        return 1;
    xcb_screen_t *s = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    int w = s->width_in_pixels, h = s->height_in_pixels;
    int id = shmget(IPC_PRIVATE, (size_t)w * h * 4, IPC_CREAT | 0600);
    void *mem = shmat(id, NULL, 0);
    xcb_shm_seg_t seg = xcb_generate_id(c);
    free(xcb_request_check(c, xcb_shm_attach_checked(c, seg, id, 0)));
    shmctl(id, IPC_RMID, NULL);
    unsigned n = 0;
    double start = now();
    while (now() - start < seconds) {
        free(xcb_shm_get_image_reply(
            c, xcb_shm_get_image(c, s->root, 0, 0, w, h, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, seg, 0),
            NULL));
        n++;
    }
    double t = now() - start;
    printf("%.1f %.3f\n", n / t, t * 1000 / n);
    shmdt(mem);
    xcb_disconnect(c);
    return 0;
}
