/* Writes a test JPEG with libjpeg: a picture of a river bank whose details
 * depend on a seed, so a "live" camera gets different bytes for every seed
 * and a "frozen" one re-serves identical bytes for the same seed.
 *
 *   test-mkjpeg OUT WIDTH HEIGHT SEED [QUALITY]
 *
 * OUT "-" writes to stdout.  Deterministic: the same arguments give the
 * same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

static long arg_long(const char *s, long lo, long hi)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || *end || v < lo || v > hi) {
                fprintf(stderr, "test-mkjpeg: bad number '%s'\n", s);
                exit(2);
        }
        return v;
}

int main(int argc, char **argv)
{
        if (argc < 5 || argc > 6) {
                fprintf(stderr, "usage: test-mkjpeg OUT WIDTH HEIGHT SEED [QUALITY]\n");
                return 2;
        }
        int w = (int)arg_long(argv[2], 1, 8192), h = (int)arg_long(argv[3], 1, 8192);
        unsigned seed = (unsigned)arg_long(argv[4], 0, 1000000000L);
        int q = argc == 6 ? (int)arg_long(argv[5], 1, 100) : 85;
        FILE *out = strcmp(argv[1], "-") == 0 ? stdout : fopen(argv[1], "wb");
        if (!out) {
                perror(argv[1]);
                return 1;
        }
        unsigned char *row = malloc((size_t)w * 3);
        if (!row)
                return 1;
        struct jpeg_compress_struct c;
        struct jpeg_error_mgr e;
        c.err = jpeg_std_error(&e);
        jpeg_create_compress(&c);
        jpeg_stdio_dest(&c, out);
        c.image_width = (JDIMENSION)w;
        c.image_height = (JDIMENSION)h;
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, q, TRUE);
        jpeg_start_compress(&c, TRUE);
        /* Sky above, water below, and a "water line" whose height and a
         * few bright blocks move with the seed. */
        int line = h / 2 + (int)(seed % 7) - 3;
        unsigned x0 = (seed * 2654435761u) % (unsigned)w;
        for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                        unsigned char *p = row + (size_t)x * 3;
                        if (y < line) {
                                p[0] = (unsigned char)(120 + y * 60 / h);
                                p[1] = (unsigned char)(160 + y * 60 / h);
                                p[2] = 230;
                        } else {
                                p[0] = (unsigned char)(60 + (x * 40 / w));
                                p[1] = (unsigned char)(90 + ((x + y + (int)seed) % 23));
                                p[2] = (unsigned char)(110 + (y * 50 / h));
                        }
                        if ((unsigned)x >= x0 && (unsigned)x < x0 + (unsigned)w / 8 && y % 16 < 8)
                                p[0] = p[1] = p[2] = (unsigned char)(200 + seed % 50);
                }
                JSAMPROW r = row;
                jpeg_write_scanlines(&c, &r, 1);
        }
        jpeg_finish_compress(&c);
        jpeg_destroy_compress(&c);
        free(row);
        if (out != stdout && fclose(out) != 0) {
                perror(argv[1]);
                return 1;
        }
        return 0;
}
