/* CAP 1.2 messages (OASIS Common Alerting Protocol) and the Atom feed that
 * carries them, from a normalised alert or order.  Pure: no I/O, no
 * logging; the caller maps the store's rows into struct cap_message.
 *
 * Mapping (docs/portal.md):
 *   status  通常 → Actual, 訓練 → Exercise, 試験 → Test
 *   change  発表 → Alert; 変更, 継続 → Update; 解除 → Update with responseType
 *           AllClear and urgency Past; only 取消 → Cancel, with references
 *   area    areaDesc, polygon in CAP's "lat,lon" order (closed rings of at
 *           least 4 points, simplified), geocode JMA=<area code>
 *   level   警戒レベル 5 → Extreme/Immediate/Observed, 4 → Severe/Immediate/
 *           Likely, 3 → Severe/Expected/Likely, 2 → Moderate/Expected/Likely,
 *           none or 1 → Minor/Future/Possible. */
#ifndef SONAE_PORTAL_CAP_H
#define SONAE_PORTAL_CAP_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_FEED_MAX_BYTES (900 * 1000)
/* The finest simplification tolerance the feed tries, in degrees (~2 m). */
#define CAP_TOL_FINEST 0.00002

enum cap_status { CAP_ACTUAL, CAP_EXERCISE, CAP_TEST };
enum cap_change { CAP_NEW, CAP_UPDATE, CAP_CONTINUE, CAP_LIFT, CAP_CANCEL };

/* One ring as lon,lat pairs (GeoJSON order), closed or not. */
struct cap_ring {
        const double *lonlat;
        size_t n; /* points (pairs) */
};

struct cap_area {
        const char *desc;             /* 鶴岡市 */
        const char *jma_code;         /* "0620300"; NULL to omit the geocode */
        const struct cap_ring *rings; /* outer rings only: CAP has no holes */
        size_t n_rings;
};

/* An earlier message, for references: "sender,identifier,sent". */
struct cap_ref {
        const char *sender;
        const char *identifier;
        int64_t sent_s;
};

struct cap_message {
        const char *identifier;  /* unique per sender; no spaces, commas, < or & */
        const char *sender;      /* e.g. "jma-yamagata@sonae" or the city's address */
        const char *sender_name; /* 山形地方気象台 / 鶴岡市 */
        int64_t sent_s;          /* UTC seconds */
        enum cap_status status;
        enum cap_change change;
        const struct cap_ref *refs; /* required for CAP_CANCEL */
        size_t n_refs;
        const char *event;         /* 大雨警報, 避難指示 */
        const char *category;      /* CAP category: Met, Geo, Safety, ... (default Met) */
        const char *response_type; /* CAP responseType for non-lifts; NULL: Monitor */
        int level;                 /* 警戒レベル 1–5, 0: none */
        const char *headline;
        const char *description;
        const char *instruction;
        const char *web;                         /* absolute URL; NULL to omit */
        int64_t effective_s, onset_s, expires_s; /* 0: omit */
        const struct cap_area *areas;
        size_t n_areas;
};

/* 通常/訓練/試験 → status; returns 0 or -EINVAL. */
int cap_status_from_ja(const char *s, enum cap_status *out);
/* 発表/新規 → NEW, 変更/更新 → UPDATE, 継続 → CONTINUE, 解除 → LIFT,
 * 取消 → CANCEL; returns 0 or -EINVAL. */
int cap_change_from_ja(const char *s, enum cap_change *out);
const char *cap_status_name(enum cap_status s); /* "Actual" */
const char *cap_msg_type(enum cap_change c);    /* "Alert", "Update", "Cancel" */

/* Simplifies one ring (Douglas–Peucker, tolerance in degrees; 0 keeps every
 * point) into out (room for n + 1 pairs), closed.  Returns the number of
 * points written, or 0 when fewer than 4 remain (too small to draw). */
size_t cap_simplify_ring(const double *lonlat, size_t n, double tol, double *out);

/* Appends one <alert> (with an XML declaration when standalone).  Polygons
 * are simplified with tol; with polygons false only geocodes are written.
 * Returns 0, -EINVAL for a message CAP cannot express (a cancel without
 * references, an identifier with spaces), or -ENOBUFS. */
int cap_write_message(struct buf *out, const struct cap_message *m, double tol, bool polygons,
                      bool standalone);

struct cap_feed {
        const char *id;        /* the feed's permanent URI */
        const char *title;     /* 鶴岡市 防災情報 (CAP) */
        const char *author;    /* 鶴岡市 */
        const char *self_url;  /* absolute URL of the feed */
        const char *entry_url; /* prefix of each message's URL; the identifier follows */
        int64_t updated_s;
};

/* Appends an Atom feed with one entry per message, each embedding its CAP
 * message.  Simplifies polygons with growing tolerance (and at last drops
 * them, keeping geocodes) until the feed fits max_bytes.  Returns 0,
 * -EFBIG if even that does not fit, or the codes of cap_write_message().
 * *tol_used (may be NULL) gets the tolerance used, -1 when polygons were
 * dropped. */
int cap_write_feed(struct buf *out, const struct cap_feed *f, const struct cap_message *m, size_t n,
                   size_t max_bytes, double *tol_used);

#endif
