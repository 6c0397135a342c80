/* The camera source's pure parts: JPEG checking and thumbnails on pictures
 * generated here with libjpeg, the real 川の防災情報 camera master, the
 * state rule and the retention cut. */
#include "camera.h"
#include "camera_jpeg.h"
#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* A w x h picture encoded with libjpeg directly (not through the code
 * under test); components 1 makes a greyscale JPEG. */
static unsigned char *make_jpeg(int w, int h, int components, unsigned seed, size_t *len)
{
        struct jpeg_compress_struct c;
        struct jpeg_error_mgr e;
        unsigned char *mem = NULL;
        unsigned long n = 0;
        c.err = jpeg_std_error(&e);
        jpeg_create_compress(&c);
        jpeg_mem_dest(&c, &mem, &n);
        c.image_width = (JDIMENSION)w;
        c.image_height = (JDIMENSION)h;
        c.input_components = components;
        c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, 85, TRUE);
        jpeg_start_compress(&c, TRUE);
        unsigned char *row = malloc((size_t)w * (size_t)components);
        for (int y = 0; y < h; y++) {
                for (int x = 0; x < w * components; x++)
                        row[x] = (unsigned char)((x * 7 + y * 3 + (int)seed * 11) % 251);
                JSAMPROW r = row;
                jpeg_write_scanlines(&c, &r, 1);
        }
        free(row);
        jpeg_finish_compress(&c);
        jpeg_destroy_compress(&c);
        *len = n;
        return mem;
}

static void test_thumbnails(void)
{
        size_t len;
        unsigned char *jpg = make_jpeg(640, 480, 3, 1, &len);
        struct cam_jpeg_info ji;
        unsigned char *th = NULL;
        size_t th_len = 0;
        char why[160];
        CHECK_INT(cam_jpeg_thumbnail(jpg, len, 160, 1000000, &ji, &th, &th_len, why, sizeof(why)),
                  0);
        CHECK_INT(ji.width, 640);
        CHECK_INT(ji.height, 480);
        CHECK_INT(ji.thumb_width, 160);
        CHECK_INT(ji.thumb_height, 120);
        CHECK(th != NULL && th_len > 100 && th_len < len);
        /* The thumbnail is itself a valid JPEG of the size announced. */
        struct cam_jpeg_info ti;
        unsigned char *th2 = NULL;
        size_t th2_len = 0;
        CHECK_INT(
            cam_jpeg_thumbnail(th, th_len, 1024, 1000000, &ti, &th2, &th2_len, why, sizeof(why)),
            0);
        CHECK_INT(ti.width, 160);
        CHECK_INT(ti.height, 120);
        free(th2);
        free(th);
        free(jpg);

        /* A width that IDCT scaling alone cannot reach: scaled to 500, then
         * averaged down to exactly 320. */
        jpg = make_jpeg(1000, 750, 3, 2, &len);
        CHECK_INT(cam_jpeg_thumbnail(jpg, len, 320, 1000000, &ji, &th, &th_len, why, sizeof(why)),
                  0);
        CHECK_INT(ji.thumb_width, 320);
        CHECK_INT(ji.thumb_height, 240);
        free(th);
        /* Too many pixels: refused from the header. */
        CHECK_INT(cam_jpeg_thumbnail(jpg, len, 320, 500000, &ji, &th, &th_len, why, sizeof(why)),
                  -EFBIG);
        CHECK(th == NULL);
        free(jpg);

        /* A small greyscale picture: accepted, thumbnail at its own size. */
        jpg = make_jpeg(100, 40, 1, 3, &len);
        CHECK_INT(cam_jpeg_thumbnail(jpg, len, 320, 1000000, &ji, &th, &th_len, why, sizeof(why)),
                  0);
        CHECK_INT(ji.thumb_width, 100);
        CHECK_INT(ji.thumb_height, 40);
        free(th);
        free(jpg);
}

static void test_refused(void)
{
        size_t len;
        unsigned char *jpg = make_jpeg(320, 240, 3, 4, &len);
        struct cam_jpeg_info ji;
        unsigned char *th = NULL;
        size_t th_len = 0;
        char why[160];
        /* An HTML error page served with status 200. */
        const char *html = "<!DOCTYPE html><html><body><h1>ただいまアクセスが集中しています"
                           "</h1></body></html>";
        CHECK_INT(cam_jpeg_thumbnail((const unsigned char *)html, strlen(html), 160, 1000000, &ji,
                                     &th, &th_len, why, sizeof(why)),
                  -EBADMSG);
        CHECK(th == NULL && strstr(why, "JPEG") != NULL);
        /* Truncated anywhere, even just the end-of-image marker: a camera
         * that sends part of a picture is refused. */
        size_t cuts[] = {len / 2, len - 200, len - 2};
        for (size_t i = 0; i < 3; i++) {
                CHECK_INT(cam_jpeg_thumbnail(jpg, cuts[i], 160, 1000000, &ji, &th, &th_len, why,
                                             sizeof(why)),
                          -EBADMSG);
                CHECK(th == NULL);
        }
        /* Corrupt entropy data: a marker in the middle of the scan. */
        unsigned char *bad = malloc(len);
        memcpy(bad, jpg, len);
        bad[len / 2] = 0xff;
        bad[len / 2 + 1] = 0xd3;
        CHECK_INT(cam_jpeg_thumbnail(bad, len, 160, 1000000, &ji, &th, &th_len, why, sizeof(why)),
                  -EBADMSG);
        CHECK(th == NULL);
        /* The intact picture, for contrast. */
        CHECK_INT(cam_jpeg_thumbnail(jpg, len, 160, 1000000, &ji, &th, &th_len, why, sizeof(why)),
                  0);
        free(th);
        free(bad);
        free(jpg);
        CHECK_INT(cam_jpeg_thumbnail((const unsigned char *)"", 0, 160, 1000, &ji, &th, &th_len,
                                     why, sizeof(why)),
                  -EBADMSG);
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
                free(b);
                b = NULL;
        }
        fclose(f);
        if (b)
                b[n] = '\0';
        *len = (size_t)n;
        return b;
}

static void test_master(void)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/river/cameras/kawabou_scam_221320015.json",
                 check_fixtures());
        size_t len = 0;
        char *body = slurp(path, &len);
        CHECK(body != NULL);
        if (!body)
                return;
        struct camera_info ci;
        char why[160];
        CHECK_INT(camera_master_parse(body, len, &ci, why, sizeof(why)), 0);
        CHECK_STR(ci.id, "21320015");
        CHECK_STR(ci.name, "多摩川河口水位観測所");
        CHECK_STR(ci.river, "多摩川");
        CHECK_NEAR(ci.lat, 35.536708333, 1e-9);
        CHECK_NEAR(ci.lon, 139.766708333, 1e-9);
        CHECK_STR(ci.image_url, "https://cam.river.go.jp/cam/now/cctv_140007_31C03372.jpg");
        CHECK_STR(ci.gauge_id, "2132000400008");
        free(body);

        const char *other = "{\"obss\":[]}";
        CHECK_INT(camera_master_parse(other, strlen(other), &ci, why, sizeof(why)), -EBADMSG);
        CHECK(strstr(why, "obsInfo") != NULL);
        const char *html = "<html><body>error</body></html>";
        CHECK_INT(camera_master_parse(html, strlen(html), &ci, why, sizeof(why)), -EBADMSG);
        const char *nourl = "{\"obsInfo\":{\"sysCamId\":\"1\",\"name\":\"x\",\"lat\":38.7,"
                            "\"lon\":139.8,\"currProvUrl\":null}}";
        CHECK_INT(camera_master_parse(nourl, strlen(nourl), &ci, why, sizeof(why)), -EBADMSG);
        CHECK(strstr(why, "still URL") != NULL);
        const char *nopoint = "{\"obsInfo\":{\"sysCamId\":\"1\",\"name\":\"x\","
                              "\"currProvUrl\":\"https://a.example/x.jpg\"}}";
        CHECK_INT(camera_master_parse(nopoint, strlen(nopoint), &ci, why, sizeof(why)), -EBADMSG);
}

static void test_state(void)
{
        /* stale after 30 s, frozen after 60 s. */
        CHECK_STR(camera_state_decide(1000, 0, 0, 30, 60), "unknown");
        CHECK_STR(camera_state_decide(1000, 990, 990, 30, 60), "ok");
        /* Nothing new and no answer for 30 s: stale. */
        CHECK_STR(camera_state_decide(1000, 970, 970, 30, 60), "stale");
        /* Answers with the same picture for 60 s: frozen, not stale. */
        CHECK_STR(camera_state_decide(1000, 939, 999, 30, 60), "frozen");
        /* No answer since the last new picture: not seen frozen, so ok
         * until stale_after, then stale. */
        CHECK_STR(camera_state_decide(1000, 990, 990, 30, 5), "ok");
        CHECK_STR(camera_state_decide(1000, 960, 960, 30, 5), "stale");
        /* The same picture, but the answers stopped too: stale. */
        CHECK_STR(camera_state_decide(1000, 940, 960, 30, 60), "stale");
        /* Between stale_after and frozen_after with answers: stale. */
        CHECK_STR(camera_state_decide(1000, 950, 999, 30, 60), "stale");
        /* frozen_after 0: never frozen, stale instead. */
        CHECK_STR(camera_state_decide(1000, 900, 999, 30, 0), "stale");
        /* frozen_after shorter than stale_after. */
        CHECK_STR(camera_state_decide(1000, 990, 999, 30, 5), "frozen");
}

static void test_retention(void)
{
        int64_t at[] = {1000, 990, 980, 970, 960};
        int64_t size[] = {100, 100, 100, 100, 100};
        CHECK_INT((int)camera_retention_cut(at, size, 5, 1000, 1000, 100000), 5);
        /* By age: older than 25 s goes (970 and 960). */
        CHECK_INT((int)camera_retention_cut(at, size, 5, 1000, 25, 100000), 3);
        /* By size: 250 bytes keeps two. */
        CHECK_INT((int)camera_retention_cut(at, size, 5, 1000, 1000, 250), 2);
        /* The newest always stays, however old or large. */
        CHECK_INT((int)camera_retention_cut(at, size, 5, 5000, 10, 50), 1);
        CHECK_INT((int)camera_retention_cut(at, size, 1, 5000, 10, 50), 1);
        CHECK_INT((int)camera_retention_cut(at, size, 0, 5000, 10, 50), 0);
}

int main(void)
{
        test_thumbnails();
        test_refused();
        test_master();
        test_state();
        test_retention();
        return check_done("collectors-camera");
}
