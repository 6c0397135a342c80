/* Photos of field reports: checked to be JPEG or PNG by decoding them
 * (not by their name or first bytes), then re-encoded as a baseline JPEG
 * with no metadata at all — EXIF location is personal data, and a file
 * that is also a ZIP or HTML (a polyglot) loses everything but the
 * pixels. */
#ifndef SONAE_PORTAL_PHOTO_H
#define SONAE_PORTAL_PHOTO_H

#include <stddef.h>

#define PHOTO_MAX_BYTES  (8 * 1024 * 1024)
#define PHOTO_MAX_PIXELS (40 * 1000 * 1000) /* refuses decompression bombs */

/* Decodes in (len bytes) and writes a fresh JPEG into *out (malloc'd, the
 * caller frees) of *out_len bytes.  -EINVAL: not a JPEG or PNG we can
 * decode; -EFBIG: too large; -ENOMEM. */
int photo_clean(const void *in, size_t len, unsigned char **out, size_t *out_len);

#endif
