/* A tiny capped JSON reader for the firmware core and the ingest daemon:
 * no allocation, no recursion beyond FWJ_MAX_DEPTH, every loop bounded by
 * the input length.  It reads exactly the shapes the node's protocol uses
 * (objects, arrays, strings, numbers, literals) and skips everything else
 * it is asked to skip.  Numbers are read as fixed point with six decimals
 * (micro-units) so that host and target give bit-identical results without
 * floating point.  The reader borrows the input; it never writes to it. */
#ifndef SONAE_FW_JSON_H
#define SONAE_FW_JSON_H

#include <stddef.h>
#include <stdint.h>

#define FWJ_MAX_DEPTH 8
/* Largest magnitude a number may have: 9e12 units, i.e. 9e18 micro-units. */
#define FWJ_NUM_MAX ((int64_t)9000000000000000000LL)
#define FWJ_MICRO   1000000LL

struct fwj {
        const char *p; /* borrowed */
        size_t len;
        size_t pos;
        const char *why; /* static reason of the first error */
};

void fwj_init(struct fwj *j, const char *p, size_t len);
/* Skips white space; returns the next character or 0 at the end. */
char fwj_peek(struct fwj *j);
/* Consumes c (after white space) or fails with -EINVAL. */
int fwj_expect(struct fwj *j, char c);
/* Consumes c if it is next; returns 1 if consumed, 0 if not. */
int fwj_accept(struct fwj *j, char c);
/* Reads a string into out (NUL-terminated, at most cap - 1 bytes, escapes
 * decoded to UTF-8).  -ENAMETOOLONG when it does not fit, -EINVAL when it
 * is malformed or holds a control character or NUL. */
int fwj_string(struct fwj *j, char *out, size_t cap);
/* Reads a number as micro-units; -ERANGE when it exceeds FWJ_NUM_MAX. */
int fwj_number(struct fwj *j, int64_t *micro);
/* Reads true or false. */
int fwj_bool(struct fwj *j, int *v);
/* Skips one value of any kind, nested at most FWJ_MAX_DEPTH deep. */
int fwj_skip(struct fwj *j);
/* 0 when only white space remains. */
int fwj_end(struct fwj *j);

#endif
