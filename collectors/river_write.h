/* What the river and rain sources do with parsed records: keep each
 * gauge's last metadata, write stations (with thresholds), observations and
 * states to the store.  The store decides the latest value, level (through
 * common/level), rate of rise and stale/offline, and emits station.level and
 * station.state itself, in the same transaction.
 *
 * One writer per source instance, used only from that instance's worker
 * thread. */
#ifndef SONAE_RIVER_WRITE_H
#define SONAE_RIVER_WRITE_H

#include "river.h"
#include "source.h"

struct store;
struct river_writer;

/* source is the store's `source` of the stations (the instance name);
 * listing_above_start says the source lists only gauges above 観測開始水位,
 * so a known gauge that is absent is below_start.  NULL on allocation
 * failure. */
struct river_writer *river_writer_new(const char *source, int64_t expected_interval_s,
                                      bool listing_above_start);
/* Accepts NULL. */
void river_writer_free(struct river_writer *w);

/* Applies one complete listing, seen at seen_s (UTC), in one transaction
 * of st (NULL: only the writer's own view changes, for tests).  Returns 0
 * or a store error (nothing of the listing is then stored, and the next
 * listing is written in full). */
int river_write(struct river_writer *w, struct store *st, const struct gauge_set *set,
                int64_t seen_s);

/* What the writer decided for a gauge, for tests and logs. */
struct gauge_view {
        struct gauge g; /* last metadata and last reading */
        struct level_result lr;
        bool listed;        /* in the last listing */
        int64_t station_id; /* in the store, 0 before the first write */
};
/* Returns 0 and fills out, or -ENOENT. */
int river_writer_get(const struct river_writer *w, const char *id, struct gauge_view *out);
size_t river_writer_count(const struct river_writer *w);
/* Gauges of the last listing not stored: no point (lat/lon), or
 * thresholds out of order (caution > danger, danger > flood). */
size_t river_writer_no_point(const struct river_writer *w);
/* Their ids, comma-separated, as many as fit in 127 bytes (borrowed, valid
 * until the next listing). */
const char *river_writer_no_point_ids(const struct river_writer *w);

/* The poll shared by the gauge sources: a conditional GET of the
 * instance's url, parse (arg is the parser's own), write (the stations
 * marked exercise when ctx->exercise).  A body the parser
 * refuses makes POLL_BAD_DATA with "what" in the reason, and its validators
 * are forgotten so the next poll fetches it again. */
typedef int (*gauge_parse_fn)(const char *body, size_t len, struct gauge_set *out,
                              struct parse_notes *notes, void *arg);
enum poll_status river_poll(struct source_ctx *ctx, struct river_writer *w, gauge_parse_fn parse,
                            void *arg, const char *what);

/* Logs a parser's skipped-row reasons (daemon only). */
void river_log_notes(struct source_ctx *ctx, const struct parse_notes *notes);

/* Rain: upserts a `rain` station per record (point and name from meta when
 * given; marked exercise for a drill's source) and writes precip_10m_mm,
 * precip_1h_mm, precip_3h_mm and precip_24h_mm observations.  Missing
 * values are left out.  st may not be NULL. */
int rain_write(struct store *st, const char *source, const struct rain_set *set,
               const struct rain_meta *meta, size_t n_meta, int64_t expected_interval_s,
               bool exercise);

#endif
