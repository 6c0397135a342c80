/* The JSON form of a parsed telegram: the object `sonae jma parse` prints,
 * one per line (fields in docs/sources/jma.md). */
#ifndef SONAE_JMA_JSON_H
#define SONAE_JMA_JSON_H

#include "buf.h"
#include "jma_parse.h"

/* Appends one JSON object (no newline) to out (borrowed).  Returns 0, or a
 * negative errno-style code from the buffer (-ENOBUFS past its cap). */
int jma_report_json(const struct jma_report *r, struct buf *out);

#endif
