/* River gauges and rain stations as the river and rain sources read them,
 * before they reach the store: plain records filled by pure parsers
 * (no I/O, no logging) so they are tested on the real captured documents.
 *
 * Times are UTC seconds (the sources write JST; parsers convert).  Levels
 * are metres; a missing value is NAN.  Strings are cut at a UTF-8 character
 * boundary when longer than their field. */
#ifndef SONAE_RIVER_H
#define SONAE_RIVER_H

#include "level.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gauge {
        char id[48];     /* the source's own station id */
        char name[160];  /* 観測所名 */
        char river[96];  /* 河川名, "" when the source does not say */
        char town[16];   /* 市区町村コード (5 digits), "" when unknown */
        double lat, lon; /* JGD2011 degrees, NAN when unknown */
        bool crisis;     /* 危機管理型水位計: start/danger/flood thresholds */
        struct level_thresholds th;
        int64_t observed_s; /* UTC; 0 when the row has no time */
        double level_m;     /* NAN when missing (欠測) */
};

struct rain {
        char id[16]; /* AMeDAS station number, "35141" */
        int64_t observed_s;
        double precip_10m_mm, precip_1h_mm, precip_3h_mm, precip_24h_mm; /* NAN: missing */
};

/* Why rows were skipped: the first few reasons, and how many in all.  The
 * source logs them; the parser only collects. */
#define PARSE_NOTES_KEEP 8
struct parse_notes {
        char reason[PARSE_NOTES_KEEP][160];
        unsigned n_kept;
        unsigned skipped;
};
void parse_note(struct parse_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable array of gauges.  gauge_set_free accepts an empty set. */
struct gauge_set {
        struct gauge *v;
        size_t n, cap;
};
int gauge_set_add(struct gauge_set *s, const struct gauge *g);
void gauge_set_free(struct gauge_set *s);
/* Fills a record with "nothing known" (NAN everywhere, empty strings). */
void gauge_clear(struct gauge *g);

struct rain_set {
        struct rain *v;
        size_t n, cap;
};
int rain_set_add(struct rain_set *s, const struct rain *r);
void rain_set_free(struct rain_set *s);

/* Copies src into dst (size len), cut at a UTF-8 boundary, trimmed of ASCII
 * and ideographic (U+3000) spaces at both ends. */
void river_copy_str(char *dst, size_t len, const char *src);

/* ---- The sources' pure parsers (each in its source file) ---- */

/* k.river.go.jp area_info/current/{pref}.json: {"obss":[item...]}.  Items
 * with no code are skipped with a note; a missing level is kept as NAN.
 * Returns 0, or -EINVAL when the document is not that shape (nothing
 * added). */
int kriver_parse(const char *body, size_t len, struct gauge_set *out, struct parse_notes *notes);

/* 川の防災情報 telemeter gauges (format unverified; see docs). */
int kawabou_parse(const char *body, size_t len, struct gauge_set *out, struct parse_notes *notes);

/* table: parses with the state made by source_table's configure(). */
int table_parse_with(const void *table_state, const char *body, size_t len, struct gauge_set *out,
                     struct parse_notes *notes);

/* AMeDAS map/{YYYYMMDDHHmmss}.json for the stations listed (NULL-terminated
 * ids); observed_s is the snapshot time.  A station absent from the map is
 * noted and left out; a value whose quality flag is not 0 is NAN. */
int amedas_parse(const char *body, size_t len, const char *const *stations, int64_t observed_s,
                 struct rain_set *out, struct parse_notes *notes);
/* amedastable.json: names and points (degrees) of the listed stations
 * that are in the table; *n counts them.  names gives their storage. */
struct rain_meta {
        const char *id;
        const char *name;
        double lat, lon;
};
int amedas_parse_table(const char *body, size_t len, const char *const *stations,
                       struct rain_meta *meta, char (*names)[64], size_t *n);
/* latest_time.txt: "2021-02-24T15:00:00+09:00" → UTC seconds. */
int amedas_parse_latest(const char *body, size_t len, int64_t *utc_s);

#endif
