/* sonae-demo-still OUT LEVEL RAIN SEED: one still of the demo's fictional
 * river camera (若葉橋カメラ, 架空), written as a JPEG with libjpeg.
 *
 * LEVEL is the water height as a fraction of the bank (0 low water, 1 at
 * the top of the bank, up to 1.2 over it), RAIN the 10-minute rainfall in
 * mm (darker sky, more streaks), SEED varies the rain streaks, so that two
 * stills of one step differ only where rain falls.  The picture is drawn,
 * not photographed: the demo's replay server serves one per scenario step
 * so the camera source sees pictures that change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs stdio.h first. */
#include <jpeglib.h>

#define W 640
#define H 360

static unsigned char img[H][W][3];

static void px(int x, int y, int r, int g, int b)
{
        if (x < 0 || y < 0 || x >= W || y >= H)
                return;
        img[y][x][0] = (unsigned char)r;
        img[y][x][1] = (unsigned char)g;
        img[y][x][2] = (unsigned char)b;
}

static void rect(int x0, int y0, int x1, int y1, int r, int g, int b)
{
        for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                        px(x, y, r, g, b);
}

static unsigned long rng = 1;

static unsigned next_rand(void)
{
        rng = rng * 6364136223846793005UL + 1442695040888963407UL;
        return (unsigned)(rng >> 33);
}

int main(int argc, char **argv)
{
        if (argc != 5) {
                fprintf(stderr, "usage: sonae-demo-still OUT LEVEL RAIN SEED\n");
                return 2;
        }
        double level = strtod(argv[2], NULL), rain = strtod(argv[3], NULL);
        rng = strtoul(argv[4], NULL, 10) * 2654435761UL + 1;
        if (level < 0)
                level = 0;
        if (level > 1.2)
                level = 1.2;
        if (rain < 0)
                rain = 0;
        double dark = rain > 40 ? 1.0 : rain / 40.0;
        /* Sky: from a light overcast grey to a dark storm grey. */
        for (int y = 0; y < 120; y++) {
                int v = (int)(200 - 120 * dark - y / 3);
                rect(0, y, W, y + 1, v, v, v + 10);
        }
        /* Far hills, banks and levee. */
        for (int x = 0; x < W; x++) {
                int top = 100 + (int)(15 * ((x * 7919) % 97) / 97.0) -
                          (x % 160 < 80 ? x % 80 : 80 - x % 80) / 4;
                rect(x, top, x + 1, 160, 60, 90, 60);
        }
        rect(0, 160, W, H, 90, 120, 70);
        /* The river bed between the banks: 160..340 at its deepest. */
        int bed_top = 170, bed_bottom = 340;
        rect(60, bed_top, W - 60, bed_bottom, 120, 110, 90);
        /* Water: rises from the bottom of the bed to its top (LEVEL 1) and
         * over the banks (above 1). */
        int water_top = bed_bottom - (int)((bed_bottom - bed_top) * level);
        int x0 = level > 1.0 ? 0 : 60, x1 = level > 1.0 ? W : W - 60;
        int wr = (int)(70 + 60 * level), wg = (int)(90 + 20 * level), wb = (int)(110 - 40 * level);
        rect(x0, water_top, x1, bed_bottom, wr, wg, wb);
        /* Ripples on the water. */
        for (int i = 0; i < 120; i++) {
                int x = (int)(next_rand() % W), y = water_top + (int)(next_rand() % 40);
                if (y < bed_bottom)
                        rect(x, y, x + 12, y + 1, wr + 30, wg + 30, wb + 20);
        }
        /* The bridge and its piers, with the gauge staff on the middle pier. */
        rect(0, 140, W, 152, 150, 150, 150);
        for (int p = 120; p < W; p += 200)
                rect(p, 152, p + 14, bed_bottom, 130, 130, 130);
        for (int m = 0; m < 10; m++)
                rect(325, bed_bottom - (m + 1) * 17, 333, bed_bottom - m * 17, m % 2 ? 240 : 220,
                     m % 2 ? 240 : 40, m % 2 ? 240 : 40);
        /* Rain streaks. */
        int streaks = (int)(rain * 40);
        for (int i = 0; i < streaks; i++) {
                int x = (int)(next_rand() % W), y = (int)(next_rand() % H);
                for (int k = 0; k < 8; k++)
                        px(x + k / 3, y + k, 210, 210, 220);
        }
        FILE *out = fopen(argv[1], "wb");
        if (!out) {
                perror(argv[1]);
                return 1;
        }
        struct jpeg_compress_struct c;
        struct jpeg_error_mgr jerr;
        c.err = jpeg_std_error(&jerr);
        jpeg_create_compress(&c);
        jpeg_stdio_dest(&c, out);
        c.image_width = W;
        c.image_height = H;
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, 80, TRUE);
        jpeg_start_compress(&c, TRUE);
        while (c.next_scanline < c.image_height) {
                JSAMPROW row = img[c.next_scanline][0];
                jpeg_write_scanlines(&c, &row, 1);
        }
        jpeg_finish_compress(&c);
        jpeg_destroy_compress(&c);
        return fclose(out) == 0 ? 0 : 1;
}
