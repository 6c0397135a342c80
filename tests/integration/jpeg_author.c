/* Authors JPEG files for the photo tests: jpeg-author OUT WIDTH HEIGHT
 * [APP1FILE].  A colour gradient, optionally with the bytes of APP1FILE as
 * an APP1 marker (the test writes an Exif block with GPS there), written
 * with libjpeg as a camera would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs stdio.h first. */
#include <jpeglib.h>

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: jpeg-author OUT WIDTH HEIGHT [APP1FILE]\n");
                return 2;
        }
        unsigned w = (unsigned)strtoul(argv[2], NULL, 10), h = (unsigned)strtoul(argv[3], NULL, 10);
        if (w < 1 || h < 1 || w > 8000 || h > 8000)
                return 2;
        static unsigned char app1[65533];
        size_t app1_len = 0;
        if (argc > 4) {
                FILE *a = fopen(argv[4], "rb");
                if (!a)
                        return 1;
                app1_len = fread(app1, 1, sizeof(app1), a);
                fclose(a);
        }
        FILE *out = fopen(argv[1], "wb");
        if (!out)
                return 1;
        struct jpeg_compress_struct c;
        struct jpeg_error_mgr e;
        c.err = jpeg_std_error(&e);
        jpeg_create_compress(&c);
        jpeg_stdio_dest(&c, out);
        c.image_width = w;
        c.image_height = h;
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, 90, TRUE);
        c.write_JFIF_header = app1_len == 0;
        jpeg_start_compress(&c, TRUE);
        if (app1_len)
                jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
        unsigned char *row = malloc((size_t)w * 3);
        if (!row)
                return 1;
        while (c.next_scanline < h) {
                for (unsigned x = 0; x < w; x++) {
                        row[3 * x] = (unsigned char)(x * 255 / w);
                        row[3 * x + 1] = (unsigned char)(c.next_scanline * 255 / h);
                        row[3 * x + 2] = 128;
                }
                jpeg_write_scanlines(&c, &row, 1);
        }
        jpeg_finish_compress(&c);
        jpeg_destroy_compress(&c);
        free(row);
        return fclose(out) == 0 ? 0 : 1;
}
