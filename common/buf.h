/* Capped growable byte buffers.  Every buffer filled from outside Sonae has a
 * cap: appending past it fails with -ENOBUFS and leaves the buffer as it was,
 * so a hostile or broken peer cannot grow memory without bound. */
#ifndef SONAE_BUF_H
#define SONAE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
        char *data; /* owned; always NUL-terminated after a successful append */
        size_t len;
        size_t cap;
        size_t max; /* 0 means the default cap, BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)
#define BUF_INIT(maxbytes)                                                                         \
        {                                                                                          \
                NULL, 0, 0, (maxbytes)                                                             \
        }

void buf_init(struct buf *b, size_t max);
/* Frees the data; accepts NULL and an empty buffer. */
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_steal(struct buf *b, size_t *len);

#endif
