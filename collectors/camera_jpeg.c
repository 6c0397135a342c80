#include "camera_jpeg.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* libjpeg reports errors through a callback that must not return: the
 * handler jumps back here with the message kept for the caller. */
struct jerr {
        struct jpeg_error_mgr pub;
        jmp_buf jump;
        char msg[JMSG_LENGTH_MAX];
};

static void jerr_exit(j_common_ptr c)
{
        struct jerr *e = (struct jerr *)c->err;
        e->pub.format_message(c, e->msg);
        longjmp(e->jump, 1);
}

/* Warnings (level -1) are what libjpeg says about truncated or corrupt
 * data it papers over; a camera picture with any of them is refused.
 * Trace messages (level >= 0) are ignored. */
static void jerr_emit(j_common_ptr c, int level)
{
        if (level < 0)
                jerr_exit(c);
}

static void jerr_silent(j_common_ptr c)
{
        (void)c;
}

static void set_why(char *why, size_t len, const char *prefix, const char *msg)
{
        if (why && len)
                snprintf(why, len, "%s%s", prefix, msg);
}

/* Area-average downscale of an RGB picture to dw x dh (dw <= sw, dh <= sh). */
static void downscale(const unsigned char *src, int sw, int sh, unsigned char *dst, int dw, int dh)
{
        for (int y = 0; y < dh; y++) {
                int y0 = (int)((int64_t)y * sh / dh), y1 = (int)((int64_t)(y + 1) * sh / dh);
                if (y1 <= y0)
                        y1 = y0 + 1;
                for (int x = 0; x < dw; x++) {
                        int x0 = (int)((int64_t)x * sw / dw),
                            x1 = (int)((int64_t)(x + 1) * sw / dw);
                        if (x1 <= x0)
                                x1 = x0 + 1;
                        unsigned sum[3] = {0, 0, 0}, n = 0;
                        for (int yy = y0; yy < y1; yy++)
                                for (int xx = x0; xx < x1; xx++, n++)
                                        for (int k = 0; k < 3; k++)
                                                sum[k] += src[((size_t)yy * sw + xx) * 3 + k];
                        for (int k = 0; k < 3; k++)
                                dst[((size_t)y * dw + x) * 3 + k] = (unsigned char)(sum[k] / n);
                }
        }
}

int cam_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality,
                        unsigned char **out, size_t *out_len)
{
        if (!rgb || width <= 0 || height <= 0 || quality < 1 || quality > 100 || !out || !out_len)
                return -EINVAL;
        *out = NULL;
        *out_len = 0;
        struct jpeg_compress_struct c;
        struct jerr e;
        unsigned char *mem = NULL;
        unsigned long mem_len = 0;
        volatile int rc = 0;
        c.err = jpeg_std_error(&e.pub);
        e.pub.error_exit = jerr_exit;
        e.pub.output_message = jerr_silent;
        jpeg_create_compress(&c);
        if (setjmp(e.jump)) {
                rc = -ENOMEM;
                goto out;
        }
        jpeg_mem_dest(&c, &mem, &mem_len);
        c.image_width = (JDIMENSION)width;
        c.image_height = (JDIMENSION)height;
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, quality, TRUE);
        jpeg_start_compress(&c, TRUE);
        while (c.next_scanline < c.image_height) {
                JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * (size_t)width * 3);
                jpeg_write_scanlines(&c, &row, 1);
        }
        jpeg_finish_compress(&c);
        *out = mem;
        *out_len = mem_len;
        mem = NULL;
out:
        jpeg_destroy_compress(&c);
        free(mem);
        return rc;
}

int cam_jpeg_thumbnail(const unsigned char *data, size_t len, int thumb_width, int64_t max_pixels,
                       struct cam_jpeg_info *info, unsigned char **thumb, size_t *thumb_len,
                       char *why, size_t why_len)
{
        if (!data || !info || !thumb || !thumb_len || thumb_width < 1 || max_pixels < 1)
                return -EINVAL;
        memset(info, 0, sizeof(*info));
        *thumb = NULL;
        *thumb_len = 0;
        if (why && why_len)
                why[0] = '\0';
        /* libjpeg takes the length as unsigned long; a body beyond it is
         * not a camera still. */
        if (len < 4 || len > 0x7fffffffUL) {
                set_why(why, why_len, "", len < 4 ? "too short to be a JPEG" : "too large");
                return -EBADMSG;
        }
        struct jpeg_decompress_struct d;
        struct jerr e;
        /* volatile: changed between setjmp and a possible longjmp. */
        unsigned char *volatile pix = NULL;
        volatile int rc = 0;
        d.err = jpeg_std_error(&e.pub);
        e.pub.error_exit = jerr_exit;
        e.pub.emit_message = jerr_emit;
        e.pub.output_message = jerr_silent;
        jpeg_create_decompress(&d);
        if (setjmp(e.jump)) {
                set_why(why, why_len, "not a valid JPEG: ", e.msg);
                rc = -EBADMSG;
                goto out;
        }
        jpeg_mem_src(&d, data, (unsigned long)len);
        jpeg_read_header(&d, TRUE);
        info->width = (int)d.image_width;
        info->height = (int)d.image_height;
        if ((int64_t)d.image_width * d.image_height > max_pixels) {
                set_why(why, why_len, "", "picture larger than max_pixels");
                rc = -EFBIG;
                goto out;
        }
        d.out_color_space = JCS_RGB;
        d.scale_num = 1;
        d.scale_denom = 1;
        /* The coarsest IDCT scaling that still leaves at least the
         * thumbnail's width; the area average does the rest. */
        while (d.scale_denom < 8 && (d.image_width + d.scale_denom * 2 - 1) / (d.scale_denom * 2) >=
                                        (unsigned)thumb_width)
                d.scale_denom *= 2;
        d.dct_method = JDCT_IFAST;
        jpeg_start_decompress(&d);
        int sw = (int)d.output_width, sh = (int)d.output_height;
        if (d.output_components != 3) {
                set_why(why, why_len, "", "unsupported colour layout");
                rc = -EBADMSG;
                goto out;
        }
        pix = malloc((size_t)sw * (size_t)sh * 3);
        if (!pix) {
                rc = -ENOMEM;
                goto out;
        }
        while (d.output_scanline < d.output_height) {
                JSAMPROW row = (JSAMPROW)(pix + (size_t)d.output_scanline * (size_t)sw * 3);
                jpeg_read_scanlines(&d, &row, 1);
        }
        jpeg_finish_decompress(&d);
        int tw = sw > thumb_width ? thumb_width : sw;
        int th = (int)((int64_t)sh * tw / sw);
        if (th < 1)
                th = 1;
        unsigned char *small = pix;
        if (tw != sw || th != sh) {
                small = malloc((size_t)tw * (size_t)th * 3);
                if (!small) {
                        rc = -ENOMEM;
                        goto out;
                }
                downscale(pix, sw, sh, small, tw, th);
        }
        rc = cam_jpeg_encode_rgb(small, tw, th, 80, thumb, thumb_len);
        if (small != pix)
                free(small);
        if (rc == 0) {
                info->thumb_width = tw;
                info->thumb_height = th;
        }
out:
        jpeg_destroy_decompress(&d);
        free(pix);
        return rc;
}
