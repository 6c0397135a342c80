/* What the river and rain sources do with parsed records: keep each
 * gauge's last metadata and its last hour of levels, decide level, state
 * and rate of rise through common/level, and write stations, observations
 * and latest state to the store (which emits station.level and
 * station.state itself).
 *
 * One writer per source instance, used only from that instance's worker
 * thread. */
#ifndef SONAE_RIVER_WRITE_H
#define SONAE_RIVER_WRITE_H

#include "river.h"
#include "source.h"

struct river_writer;

/* kind is the store's source name ("kriver"); listing_above_start says the
 * source lists only gauges above 観測開始水位, so a known gauge that is
 * absent is below_start.  NULL on allocation failure. */
struct river_writer *river_writer_new(const char *kind, int64_t expected_interval_s,
                                      bool listing_above_start);
/* Accepts NULL. */
void river_writer_free(struct river_writer *w);

/* Applies one complete listing.  ctx may be NULL (tests, benchmark): then
 * nothing is logged and nothing written to a store.  Returns 0 or a
 * negative code (store trouble); on error the poll should fail. */
int river_write(struct river_writer *w, struct source_ctx *ctx, const struct gauge_set *set);

/* What the writer decided for a gauge, for tests and logs. */
struct gauge_view {
        struct gauge g; /* last metadata and last reading */
        struct level_result lr;
        double rate_m_per_h; /* NAN when not enough readings in the hour */
        bool listed;         /* in the last listing */
};
/* Returns 0 and fills out, or -ENOENT. */
int river_writer_get(const struct river_writer *w, const char *id, struct gauge_view *out);
size_t river_writer_count(const struct river_writer *w);

/* The poll shared by the gauge sources: a conditional GET of the
 * instance's url, parse (arg is the parser's own), write.  A body the parser
 * refuses makes POLL_BAD_DATA with "what" in the reason, and its validators
 * are forgotten so the next poll fetches it again. */
typedef int (*gauge_parse_fn)(const char *body, size_t len, struct gauge_set *out,
                              struct parse_notes *notes, void *arg);
enum poll_status river_poll(struct source_ctx *ctx, struct river_writer *w, gauge_parse_fn parse,
                            void *arg, const char *what);

/* Logs a parser's skipped-row reasons (daemon only). */
void river_log_notes(struct source_ctx *ctx, const struct parse_notes *notes);

/* Rain: writes precip_10m_mm and precip_1h_mm observations (and the 3 h
 * and 24 h sums as station data) for each record.  ctx may be NULL. */
int rain_write(struct source_ctx *ctx, const char *kind, const struct rain_set *set);

#endif
