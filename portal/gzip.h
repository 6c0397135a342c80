/* gzip (RFC 1952) of whole answers with zlib, for text sent to clients
 * whose Accept-Encoding admits it. */
#ifndef SONAE_PORTAL_GZIP_H
#define SONAE_PORTAL_GZIP_H

#include "buf.h"

#include <stddef.h>

/* Appends the gzip form of in to out.  Returns 0, -ENOBUFS if out's cap is
 * reached, or -EIO on a zlib error. */
int gzip_compress(const void *in, size_t len, struct buf *out);

#endif
