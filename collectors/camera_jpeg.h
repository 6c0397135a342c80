/* JPEG checks and thumbnails for the camera source, on libjpeg(-turbo).
 *
 * A still is accepted only after it has been decoded in full: every
 * scanline, with libjpeg's warnings (a premature end of data, corrupt
 * entropy data, extraneous bytes) treated as errors, so an HTML error page,
 * a truncated or corrupt JPEG is refused by what it is, not by its size.
 * The same pass makes the thumbnail: libjpeg's scaled decoding (1/2, 1/4,
 * 1/8 in the IDCT) brings the picture down to no less than the wanted
 * width, an area average takes it the rest of the way, and the result is encoded again.
 *
 * Pure functions: no I/O, no logging. */
#ifndef SONAE_CAMERA_JPEG_H
#define SONAE_CAMERA_JPEG_H

#include <stddef.h>
#include <stdint.h>

struct cam_jpeg_info {
        int width, height; /* of the full picture */
        int thumb_width, thumb_height;
};

/* Decodes data (len bytes) in full and encodes a thumbnail at most
 * thumb_width pixels wide (aspect kept).  On success *thumb is a malloc'ed
 * JPEG of *thumb_len bytes that the caller frees.  Returns 0, or:
 *   -EBADMSG  not a JPEG, or corrupt or truncated (why says how)
 *   -EFBIG    more than max_pixels pixels (checked from the header, before
 *             any decoding, so a small file cannot claim a huge canvas)
 *   -EINVAL   bad arguments
 *   -ENOMEM
 * why (may be NULL) receives a one-line reason on failure. */
int cam_jpeg_thumbnail(const unsigned char *data, size_t len, int thumb_width, int64_t max_pixels,
                       struct cam_jpeg_info *info, unsigned char **thumb, size_t *thumb_len,
                       char *why, size_t why_len);

/* Encodes an RGB picture (3 bytes per pixel, rows top down) as a JPEG of
 * the given quality (1-100).  *out is malloc'ed; the caller frees it.
 * Returns 0, -EINVAL or -ENOMEM. */
int cam_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality,
                        unsigned char **out, size_t *out_len);

#endif
