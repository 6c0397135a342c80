/* The PostGIS backend: raw documents (store_sources.h), deduplicated by
 * URL and content hash, and the JMA collector's telegram ledger; the
 * rules are those of sl_sources.c and sl_jma.c. */
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
        if (PQntuples(r) == 1)
                rc = pg_col_bytea(r, 0, 0, body, len);
        else
                rc = -ENOENT;
        PQclear(r);
        return rc;
}

/* ---- The JMA collector's telegram ledger (migration 0003) ------------- */

int pg_jma_telegram_put(struct store *st, const struct store_jma_telegram *t)
{
        if (!t || !t->url || !t->feed || !t->title || !t->office ||
            !store_jma_state_valid(t->state) || t->attempts < 0)
                return -EINVAL;
        int64_t now = pg_now();
        return pg_q(PG(st), NULL,
                    "INSERT INTO jma_telegrams (url, feed, title, office, state, attempts, "
                    "last_error, first_seen_at, updated_at, document_id, report_status, "
                    "info_type, event_id, serial, datetime) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                    "$8, $9, $10, $11, $12, $13, nullif($14::bigint, -1), $15) ON CONFLICT (url) "
                    "DO UPDATE SET feed = $2, title = $3, office = $4, state = $5, attempts = $6, "
                    "last_error = $7, updated_at = $9, document_id = $10, report_status = $11, "
                    "info_type = $12, event_id = $13, serial = nullif($14::bigint, -1), "
                    "datetime = $15",
                    "tttttitiiItttiI", t->url, t->feed, t->title, t->office, t->state,
                    (int64_t)t->attempts, t->last_error,
                    t->first_seen_at > 0 ? t->first_seen_at : now, now, t->document_id,
                    t->report_status, t->info_type, t->event_id, (int64_t)t->serial, t->datetime);
}

static int telegram_fill(const PGresult *r, int i, void *elem, void *ctx)
{
        struct store_jma_telegram *t = elem;
        t->url = pg_col_strdup(r, i, 0);
        t->feed = pg_col_strdup(r, i, 1);
        t->title = pg_col_strdup(r, i, 2);
        t->office = pg_col_strdup(r, i, 3);
        t->state = pg_col_strdup(r, i, 4);
        t->attempts = (int)pg_col_i64(r, i, 5);
        t->last_error = pg_col_strdup(r, i, 6);
        t->first_seen_at = pg_col_i64(r, i, 7);
        t->updated_at = pg_col_i64(r, i, 8);
        t->document_id = pg_col_i64(r, i, 9);
        t->report_status = pg_col_strdup(r, i, 10);
        t->info_type = pg_col_strdup(r, i, 11);
        t->event_id = pg_col_strdup(r, i, 12);
        t->serial = pg_col_null(r, i, 13) ? -1 : (int)pg_col_i64(r, i, 13);
        t->datetime = pg_col_i64(r, i, 14);
        return t->url && t->feed && t->title && t->office && t->state ? 0 : -ENOMEM;
}

#define TELEGRAM_COLUMNS                                                                           \
        "url, feed, title, office, state, attempts, last_error, first_seen_at, updated_at, "       \
        "document_id, report_status, info_type, event_id, serial, datetime"

int pg_jma_telegram_get(struct store *st, const char *url, struct store_jma_telegram_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        if (!url)
                return -EINVAL;
        int rc = pg_q(PG(st), &r, "SELECT " TELEGRAM_COLUMNS " FROM jma_telegrams WHERE url = $1",
                      "t", url);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), telegram_fill, NULL);
        if (rc == 0 && out->n == 0)
                rc = -ENOENT;
        if (rc < 0)
                store_jma_telegram_list_free(out);
        return rc;
}

/* COLLATE "C": the byte order SQLite sorts text in, whatever the
 * database's own collation, so both backends group series alike. */
int pg_jma_telegrams_done(struct store *st, int64_t since, struct store_jma_telegram_list *out)
{
        PGresult *r = NULL;
        memset(out, 0, sizeof(*out));
        int rc = pg_q(PG(st), &r,
                      "SELECT " TELEGRAM_COLUMNS " FROM jma_telegrams WHERE state = 'done' AND "
                      "datetime >= $1 ORDER BY office COLLATE \"C\", title COLLATE \"C\", "
                      "report_status COLLATE \"C\", coalesce(event_id, '') COLLATE \"C\", "
                      "datetime, coalesce(serial, -1), url COLLATE \"C\"",
                      "i", since);
        if (rc == 0)
                rc = pg_rows(r, (void **)&out->v, &out->n, sizeof(*out->v), telegram_fill, NULL);
        if (rc < 0)
                store_jma_telegram_list_free(out);
        return rc;
}

int pg_jma_telegrams_count(struct store *st, const char *state, int64_t *n)
{
        if (!store_jma_state_valid(state))
                return -EINVAL;
        return pg_query_int(PG(st), n, "SELECT count(*) FROM jma_telegrams WHERE state = $1", "t",
                            state);
}
