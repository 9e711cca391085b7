/* fake-pattern-ppm: writes a frame of the fake capture backend as a PPM.
 *
 *   fake-pattern-ppm SCRIPT FRAME WIDTHxHEIGHT OUT.ppm
 *
 * The picture comes from display/fake-pattern.c itself, so tests compare what
 * a SPICE client received with exactly what the agent's fake backend drew. */
#include "display/fake-pattern.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    enum fake_script script;
    int w, h;
    char *end;
    if (argc != 5 || !fake_script_parse(argv[1], &script) ||
        sscanf(argv[3], "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0 || w > 16384 || h > 16384) {
        fprintf(stderr, "usage: fake-pattern-ppm static|full|scroll FRAME WxH OUT.ppm\n");
        return 2;
    }
    unsigned long long n = strtoull(argv[2], &end, 10);
    if (*end) {
        fprintf(stderr, "fake-pattern-ppm: bad frame number '%s'\n", argv[2]);
        return 2;
    }
    uint8_t *bgrx = malloc((size_t)w * h * 4);
    uint8_t *rgb = malloc((size_t)w * h * 3);
    if (!bgrx || !rgb)
        return 1;
    fake_pattern_render(script, n, w, h, bgrx, w * 4);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        rgb[i * 3 + 0] = bgrx[i * 4 + 2];
        rgb[i * 3 + 1] = bgrx[i * 4 + 1];
        rgb[i * 3 + 2] = bgrx[i * 4 + 0];
    }
    FILE *f = fopen(argv[4], "wb");
    if (!f) {
        perror(argv[4]);
        return 1;
    }
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    size_t total = (size_t)w * h * 3;
    int bad = fwrite(rgb, 1, total, f) != total;
    bad |= fclose(f) != 0;
    free(bgrx);
    free(rgb);
    if (bad) {
        perror(argv[4]);
        return 1;
    }
    return 0;
}
