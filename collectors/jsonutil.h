/* Small jansson helpers shared by the JSON sources: numbers that arrive as
 * numbers or strings, and dotted paths ("data.stations.0.name"). */
#ifndef SONAE_JSONUTIL_H
#define SONAE_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>

/* A number, or a string holding one; NAN for null, absent, "", "-", "欠測"
 * and anything else that is not a finite number. */
double json_num(const json_t *v);
/* The value's text: a string as is, a number formatted; NULL otherwise.
 * Writes into buf (len bytes) for numbers and returns buf; for strings
 * returns the string itself (owned by the JSON value). */
const char *json_text(const json_t *v, char *buf, size_t len);
/* Follows a dotted path of object keys and array indexes; NULL when a step
 * is missing.  An empty path returns root.  Borrowed reference. */
json_t *json_path(json_t *root, const char *path);
/* Loads a document with a nesting and size already capped by the fetch. */
json_t *json_load_capped(const char *body, size_t len, char *err, size_t errlen);

#endif
