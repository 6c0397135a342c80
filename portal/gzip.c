#include "gzip.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

int gzip_compress(const void *in, size_t len, struct buf *out)
{
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        /* 15 window bits + 16 asks zlib for the gzip wrapper. */
        if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -EIO;
        int rc = 0;
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = (uInt)len;
        unsigned char chunk[16384];
        int zr;
        do {
                zs.next_out = chunk;
                zs.avail_out = sizeof(chunk);
                zr = deflate(&zs, Z_FINISH);
                if (zr == Z_STREAM_ERROR) {
                        rc = -EIO;
                        goto out;
                }
                size_t have = sizeof(chunk) - zs.avail_out;
                if (have && buf_append(out, chunk, have) < 0) {
                        rc = -ENOBUFS;
                        goto out;
                }
        } while (zr != Z_STREAM_END);
out:
        deflateEnd(&zs);
        return rc;
}
