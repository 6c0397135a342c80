#include "photo.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
/* jpeglib.h needs stdio.h first. */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

struct jerr {
        struct jpeg_error_mgr mgr;
        jmp_buf jb;
};

static void jerr_exit(j_common_ptr c)
{
        struct jerr *e = (struct jerr *)c->err;
        longjmp(e->jb, 1);
}

static void jerr_quiet(j_common_ptr c, int level)
{
        (void)c;
        (void)level; /* warnings of hostile files are not logged */
}

/* RGB pixels, 3 bytes each, rows top to bottom. */
struct pixels {
        unsigned char *rgb;
        unsigned w, h;
};

static int decode_jpeg(const unsigned char *in, size_t len, struct pixels *px)
{
        struct jpeg_decompress_struct c;
        struct jerr e;
        unsigned char *volatile rgb = NULL;
        c.err = jpeg_std_error(&e.mgr);
        e.mgr.error_exit = jerr_exit;
        e.mgr.emit_message = jerr_quiet;
        if (setjmp(e.jb)) {
                jpeg_destroy_decompress(&c);
                free(rgb);
                return -EINVAL;
        }
        jpeg_create_decompress(&c);
        jpeg_mem_src(&c, in, (unsigned long)len);
        if (jpeg_read_header(&c, TRUE) != JPEG_HEADER_OK) {
                jpeg_destroy_decompress(&c);
                return -EINVAL;
        }
        if ((unsigned long long)c.image_width * c.image_height > PHOTO_MAX_PIXELS) {
                jpeg_destroy_decompress(&c);
                return -EFBIG;
        }
        c.out_color_space = JCS_RGB;
        jpeg_start_decompress(&c);
        size_t stride = (size_t)c.output_width * 3;
        rgb = malloc(stride * c.output_height);
        if (!rgb || c.output_components != 3) {
                jpeg_destroy_decompress(&c);
                free(rgb);
                return rgb ? -EINVAL : -ENOMEM;
        }
        while (c.output_scanline < c.output_height) {
                JSAMPROW row = rgb + stride * c.output_scanline;
                jpeg_read_scanlines(&c, &row, 1);
        }
        jpeg_finish_decompress(&c);
        px->rgb = rgb;
        px->w = c.output_width;
        px->h = c.output_height;
        jpeg_destroy_decompress(&c);
        return 0;
}

static int decode_png(const unsigned char *in, size_t len, struct pixels *px)
{
        png_image img;
        memset(&img, 0, sizeof(img));
        img.version = PNG_IMAGE_VERSION;
        if (!png_image_begin_read_from_memory(&img, in, len))
                return -EINVAL;
        if ((unsigned long long)img.width * img.height > PHOTO_MAX_PIXELS) {
                png_image_free(&img);
                return -EFBIG;
        }
        img.format = PNG_FORMAT_RGB;
        unsigned char *rgb = malloc(PNG_IMAGE_SIZE(img));
        if (!rgb) {
                png_image_free(&img);
                return -ENOMEM;
        }
        /* Transparent pixels are composed onto white. */
        png_color white = {255, 255, 255};
        if (!png_image_finish_read(&img, &white, rgb, 0, NULL)) {
                png_image_free(&img);
                free(rgb);
                return -EINVAL;
        }
        px->rgb = rgb;
        px->w = img.width;
        px->h = img.height;
        return 0;
}

static int encode_jpeg(const struct pixels *px, unsigned char **out, size_t *out_len)
{
        struct jpeg_compress_struct c;
        struct jerr e;
        unsigned char *volatile mem = NULL;
        unsigned long size = 0;
        c.err = jpeg_std_error(&e.mgr);
        e.mgr.error_exit = jerr_exit;
        e.mgr.emit_message = jerr_quiet;
        if (setjmp(e.jb)) {
                jpeg_destroy_compress(&c);
                free(mem);
                return -EINVAL;
        }
        jpeg_create_compress(&c);
        unsigned char *m = NULL;
        jpeg_mem_dest(&c, &m, &size);
        c.image_width = px->w;
        c.image_height = px->h;
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, 85, TRUE);
        /* No JFIF density, no comment, no EXIF: only the picture. */
        c.write_JFIF_header = FALSE;
        jpeg_start_compress(&c, TRUE);
        size_t stride = (size_t)px->w * 3;
        while (c.next_scanline < c.image_height) {
                JSAMPROW row = px->rgb + stride * c.next_scanline;
                jpeg_write_scanlines(&c, &row, 1);
        }
        jpeg_finish_compress(&c);
        mem = m;
        jpeg_destroy_compress(&c);
        *out = mem;
        *out_len = size;
        return 0;
}

int photo_clean(const void *in, size_t len, unsigned char **out, size_t *out_len)
{
        const unsigned char *b = in;
        struct pixels px = {0};
        int rc;
        *out = NULL;
        *out_len = 0;
        if (len > PHOTO_MAX_BYTES)
                return -EFBIG;
        if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
                rc = decode_jpeg(b, len, &px);
        else if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
                rc = decode_png(b, len, &px);
        else
                rc = -EINVAL;
        if (rc == 0)
                rc = encode_jpeg(&px, out, out_len);
        free(px.rgb);
        return rc;
}
