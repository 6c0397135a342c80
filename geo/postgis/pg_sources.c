/* The PostGIS backend: raw documents (store_sources.h), deduplicated by
 * URL and content hash; the rules are those of sl_sources.c. */
#include "pg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pg_raw_document_put(struct store *st, const char *source, const char *url,
                        const char *content_type, const void *body, size_t len, int64_t fetched_at,
                        int64_t *id, bool *is_new)
{
        struct pg *b = PG(st);
        if (!source || !url || (!body && len) || fetched_at <= 0)
                return -EINVAL;
        char hex[65];
        store_sha256_hex(body ? body : "", len, hex);
        PGresult *r = NULL;
        int rc = pg_tx_begin(b);
        if (rc < 0)
                return rc;
        rc = pg_q(b, &r,
                  "INSERT INTO raw_documents (source, url, sha256, content_type, body, bytes, "
                  "fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (url, sha256) DO "
                  "NOTHING RETURNING id",
                  "ttttBii", source, url, hex, content_type, body ? body : "", len, (int64_t)len,
                  fetched_at);
        bool added = rc == 0 && PQntuples(r) == 1;
        int64_t rid = added ? pg_col_i64(r, 0, 0) : 0;
        PQclear(r);
        if (rc == 0 && !added)
                rc = pg_query_int(b, &rid,
                                  "SELECT id FROM raw_documents WHERE url = $1 AND sha256 = $2",
                                  "tt", url, hex);
        rc = pg_tx_end(b, rc);
        if (rc == 0) {
                if (id)
                        *id = rid;
                if (is_new)
                        *is_new = added;
        }
        return rc;
}

int pg_raw_document_find(struct store *st, const char *url, int64_t *id)
{
        if (!url)
                return -EINVAL;
        return pg_query_int(PG(st), id,
                            "SELECT id FROM raw_documents WHERE url = $1 ORDER BY id LIMIT 1", "t",
                            url);
}

int pg_raw_document_body(struct store *st, int64_t id, void **body, size_t *len)
{
        PGresult *r = NULL;
        *body = NULL;
        *len = 0;
        int rc = pg_q(PG(st), &r, "SELECT body FROM raw_documents WHERE id = $1", "i", id);
        if (rc < 0)
                return rc;
        if (PQntuples(r) != 1) {
                PQclear(r);
                return -ENOENT;
        }
        /* Text results carry bytea as \x hex; unescaped here, and copied so
         * the caller frees with free(), NUL-terminated like SpatiaLite's. */
        size_t n = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
        PQclear(r);
        if (!raw)
                return -ENOMEM;
        *body = malloc(n + 1);
        if (*body) {
                memcpy(*body, raw, n);
                ((char *)*body)[n] = '\0';
                *len = n;
        } else {
                rc = -ENOMEM;
        }
        PQfreemem(raw);
        return rc;
}
