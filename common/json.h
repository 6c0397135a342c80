/* A small JSON writer on top of struct buf, for the CLI's JSON Lines and the
 * portal's API.  It tracks commas itself, escapes strings per RFC 8259 and
 * writes non-finite numbers as null (JSON has no NaN). */
#ifndef SONAE_JSON_H
#define SONAE_JSON_H

#include "buf.h"

#include <stdbool.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
        struct buf *out; /* borrowed */
        int depth;
        bool need_comma[JSON_MAX_DEPTH];
        int err; /* first error, sticky */
};

void json_init(struct json_writer *w, struct buf *out);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_arr_begin(struct json_writer *w);
void json_arr_end(struct json_writer *w);
/* A key inside an object; the next value call writes its value. */
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s); /* NULL writes null */
void json_strn(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_double(struct json_writer *w, double v); /* NaN/inf write null */
void json_bool(struct json_writer *w, bool v);
/* Named so that it never shadows jansson's json_null() at link time. */
void json_null_value(struct json_writer *w);
/* Writes already-encoded JSON as one value. */
void json_raw(struct json_writer *w, const char *json);
/* Returns the first error of any call above, or 0. */
int json_error(const struct json_writer *w);

/* Escapes s into out as a quoted JSON string. */
int json_escape(struct buf *out, const char *s, size_t len);

#endif
