/* What JMA has in force now, per area: the pure computation behind the JMA
 * collector's area status (docs/sources/jma.md, "What is in force").
 *
 *  1. Series: telegrams of one Control/Title + EditorialOffice + Status
 *     (+ EventID when present).  jma_series_resolve() orders each series by
 *     (DateTime, Serial), whatever the order of arrival, lets each 取消
 *     cancel the newest telegram before it that is not cancelled yet, and
 *     marks the newest telegram left (not a 取消) effective.  A 訂正 is an
 *     ordinary, newer member: it replaces.
 *  2. jma_inforce_compute() takes every telegram (the caller parsed the
 *     effective ones) and builds the kinds in force per 7-digit area for one
 *     Status (通常, or 訓練 for drills; 試験 never):
 *     - H27 full state (VPWW53/54/50): the newest effective one of the
 *       office replaces each area's state;
 *     - R06 per phenomenon (VPWW55-61): the union of each phenomenon
 *       series' effective telegram; while the office sent an R06 telegram
 *       of a phenomenon within r06_window of its newest telegram, R06 is
 *       authoritative for that phenomenon and the H27 kinds of it are not
 *       counted; an R06 series silent for max_silence while the office
 *       sends others makes its areas `unknown` (a kind with status
 *       "unknown", code "?" + phenomenon), never "none";
 *     - 土砂災害警戒情報 (VXWW50) per EventID, shown once when the R06
 *       土砂 series (VPWW56) already gives the area a level-4/5 土砂 kind.
 *  Pure: no I/O, no logging; inputs are borrowed. */
#ifndef SONAE_JMA_INFORCE_H
#define SONAE_JMA_INFORCE_H

#include "jma_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jma_tg {
        const char *title, *office, *status, *info_type, *event_id;
        int serial;       /* -1 when none */
        int64_t datetime; /* Control/DateTime, UTC seconds */
        /* Set by the caller for effective telegrams (NULL: not parsed). */
        const struct jma_report *report;
        bool effective; /* set by jma_series_resolve() */
        size_t user;    /* the caller's own index */
};

/* Marks v[i].effective.  Reorders nothing; O(n log n). */
int jma_series_resolve(struct jma_tg *v, size_t n);

struct jma_inforce_options {
        const char *status;       /* "通常" or "訓練" */
        int64_t max_silence_s;    /* 0: 86400 */
        int64_t r06_window_s;     /* 0: 259200 */
        const char *const *areas; /* 7-digit codes kept; NULL: all */
        size_t n_areas;
};

struct jma_kind {
        char code[24];
        char name[128];
        char status[32];
        int level; /* 1-5, 0 = none */
        int64_t issued_at;
};

struct jma_area_state {
        char code[8];
        char name[128];
        struct jma_kind *kinds;
        size_t n_kinds;
        int level; /* highest of the kinds, 0 = none */
};

struct jma_inforce {
        struct jma_area_state *v; /* sorted by code */
        size_t n;
};

/* Computes the areas for opts->status from v[0..n) (after
 * jma_series_resolve).  Every area named in a counted telegram is in out,
 * with zero kinds when nothing is in force.  Free out with
 * jma_inforce_free().  Returns 0 or -ENOMEM. */
int jma_inforce_compute(const struct jma_tg *v, size_t n, const struct jma_inforce_options *opts,
                        struct jma_inforce *out);
void jma_inforce_free(struct jma_inforce *f);

/* Whether a title is one of the weather warning telegrams whose state the
 * computation reads (H27 full state, R06 per phenomenon, VXWW50). */
bool jma_inforce_title_counts(const char *title);

#endif
