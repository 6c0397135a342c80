/* The ingest core: see ingest.h and docs/sensors.md. */
#include "ingest.h"

#include "log.h"
#include "senml.h"
#include "store.h"
#include "store_devices.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPIC_PREFIX  "sonae/v1/nodes/"
#define HASH_BUCKETS  4096
#define RESEND_SPAN   2016      /* what a node serves per request */
#define GAP_TRACK_MAX (1 << 20) /* seqs a gap's bitmap follows */
#define STATUS_MAX    1024
#define DOWN_MAX      1024 /* what a node accepts (fw_downlink.h) */

struct gap {
        int64_t id, epoch, from, to, opened_at;
        uint8_t *bits; /* one bit per seq of [from, to]; NULL: not followed */
        int64_t present;
        bool alerted;
};

/* The resend request in the device's retained down. */
struct request {
        int64_t gap_id, epoch, from, to;
        char id[33];
};

struct dev {
        struct dev *next;
        char name[SENML_DEVICE_MAX + 1];
        bool loaded; /* the fields below reflect the store */
        bool known;  /* a device of the store */
        bool enabled;
        int64_t id, station_id;
        int64_t expected_s;
        char health[8];
        int64_t last_seen;
        int64_t stored_seen; /* last_seen as the store has it */
        bool have_last;
        int64_t epoch, max_seq;
        struct qc_history h;
        int64_t cal_from; /* valid_from of the calibration h was made with */
        int64_t refreshed_at;
        struct gap *gaps;
        size_t n_gaps;
        struct request req; /* req.id[0] == 0: none asked */
        char *settings;     /* the down's other keys as last seen on the broker (JSON) */
        bool req_published; /* what is in req is what the broker holds */
        bool bad_streak;
        uint64_t malformed;
};

struct ingest {
        struct store *st;
        struct ingest_options o;
        struct dev *bucket[HASH_BUCKETS];
        struct ingest_stats stats;
        uint32_t run;   /* distinguishes resend ids of this run from earlier ones */
        unsigned n_req; /* and of this run from each other */
        struct senml_pack pack;
        struct store_reading rows[SENML_MAX_READINGS];
        struct store_obs obs[SENML_MAX_READINGS * 5];
        size_t n_rows, n_obs;
        int64_t last_reload;
};

uint32_t ingest_device_hash(const char *s)
{
        uint32_t h = 2166136261u;
        while (*s)
                h = (h ^ (uint8_t)*s++) * 16777619u;
        return h;
}

bool ingest_owns(const struct ingest *in, const char *device)
{
        if (in->o.instance_count <= 1)
                return true;
        return ingest_device_hash(device) % in->o.instance_count == in->o.instance_index;
}

int ingest_topic_parse(const char *topic, char *dev, size_t cap, char *kind)
{
        size_t plen = strlen(TOPIC_PREFIX), n;
        const char *p, *slash;

        if (strncmp(topic, TOPIC_PREFIX, plen) != 0)
                return -EINVAL;
        p = topic + plen;
        slash = strchr(p, '/');
        if (!slash)
                return -EINVAL;
        n = (size_t)(slash - p);
        if (n == 0 || n >= cap)
                return -EINVAL;
        memcpy(dev, p, n);
        dev[n] = 0;
        if (!senml_device_valid(dev))
                return -EINVAL;
        if (strcmp(slash, "/up") == 0)
                *kind = 'u';
        else if (strcmp(slash, "/status") == 0)
                *kind = 's';
        else if (strcmp(slash, "/down") == 0)
                *kind = 'd';
        else
                return -EINVAL;
        return 0;
}

static void gaps_free(struct dev *d)
{
        for (size_t i = 0; i < d->n_gaps; i++)
                free(d->gaps[i].bits);
        free(d->gaps);
        d->gaps = NULL;
        d->n_gaps = 0;
}

/* Forgets what the store can tell again: used after a failed commit. */
static void dev_forget(struct dev *d)
{
        gaps_free(d);
        d->loaded = false;
        d->have_last = false;
        memset(&d->h, 0, sizeof(d->h));
        /* Ask again under a new id: what arrived under the old one may
         * not all be known now. */
        memset(&d->req, 0, sizeof(d->req));
        d->req_published = false;
}

static int gap_add(struct dev *d, int64_t id, int64_t epoch, int64_t from, int64_t to,
                   int64_t opened_at)
{
        struct gap *g = realloc(d->gaps, (d->n_gaps + 1) * sizeof(*g));
        int64_t size = to - from + 1;

        if (!g)
                return -ENOMEM;
        d->gaps = g;
        g = &d->gaps[d->n_gaps];
        memset(g, 0, sizeof(*g));
        g->id = id;
        g->epoch = epoch;
        g->from = from;
        g->to = to;
        g->opened_at = opened_at;
        if (size <= GAP_TRACK_MAX) {
                g->bits = calloc((size_t)(size + 7) / 8, 1);
                if (!g->bits)
                        return -ENOMEM;
        }
        d->n_gaps++;
        return 0;
}

static int dev_load(struct ingest *in, struct dev *d)
{
        struct store_device sd;
        struct store_gap_list gl = {0};
        int64_t epoch, seq;
        int r;

        memset(&sd, 0, sizeof(sd));
        r = store_device_get(in->st, d->name, &sd);
        if (r == -ENOENT) {
                d->known = false;
                d->loaded = true;
                return 0;
        }
        if (r < 0)
                return r;
        d->known = true;
        d->id = sd.id;
        d->station_id = sd.station_id;
        d->enabled = sd.enabled;
        snprintf(d->health, sizeof(d->health), "%s", sd.health ? sd.health : "unknown");
        if (sd.last_seen_at > d->last_seen)
                d->last_seen = sd.last_seen_at;
        d->stored_seen = sd.last_seen_at;
        store_device_free(&sd);

        d->expected_s = in->o.default_interval_s;
        if (d->station_id > 0) {
                struct store_latest_list ll = {0};
                if (store_latest_get(in->st, d->station_id, 0, &ll) == 0 && ll.n == 1)
                        d->expected_s = ll.v[0].expected_interval_s;
                store_latest_list_free(&ll);
        }

        r = store_readings_last(in->st, d->id, &epoch, &seq);
        if (r == 0) {
                d->have_last = true;
                d->epoch = epoch;
                d->max_seq = seq;
        } else if (r != -ENOENT) {
                return r;
        }

        gaps_free(d);
        r = store_gaps_open_list(in->st, d->id, &gl);
        if (r < 0)
                return r;
        for (size_t i = 0; i < gl.n && r == 0; i++)
                r = gap_add(d, gl.v[i].id, gl.v[i].epoch, gl.v[i].from_seq, gl.v[i].to_seq,
                            gl.v[i].opened_at);
        store_gap_list_free(&gl);
        if (r < 0)
                return r;
        d->loaded = true;
        return 0;
}

/* Re-reads what `sonae device set` changes, at most once a second. */
static int dev_refresh(struct ingest *in, struct dev *d, int64_t now)
{
        struct store_device sd;
        int r;

        memset(&sd, 0, sizeof(sd));
        r = store_device_get(in->st, d->name, &sd);
        if (r == -ENOENT) {
                d->known = false;
                return 0;
        }
        if (r < 0)
                return r;
        d->enabled = sd.enabled;
        if (sd.station_id != d->station_id)
                d->loaded = false;
        store_device_free(&sd);
        d->refreshed_at = now;
        return d->loaded ? 0 : dev_load(in, d);
}

static struct dev *dev_find(struct ingest *in, const char *name, bool create)
{
        uint32_t b = ingest_device_hash(name) % HASH_BUCKETS;
        struct dev *d;

        for (d = in->bucket[b]; d; d = d->next)
                if (strcmp(d->name, name) == 0)
                        return d;
        if (!create)
                return NULL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return NULL;
        snprintf(d->name, sizeof(d->name), "%s", name);
        snprintf(d->health, sizeof(d->health), "unknown");
        d->next = in->bucket[b];
        in->bucket[b] = d;
        return d;
}

/* ---- Resend requests --------------------------------------------------- */

static bool gap_has(const struct gap *g, int64_t seq)
{
        int64_t k = seq - g->from;
        return g->bits && (g->bits[k / 8] >> (k % 8)) & 1;
}

/* The first missing run of a gap, at most RESEND_SPAN long; false when the
 * gap is not followed seq by seq (then the whole range, capped). */
static void gap_missing(const struct gap *g, int64_t *from, int64_t *to)
{
        int64_t s = g->from;

        if (g->bits)
                while (s <= g->to && gap_has(g, s))
                        s++;
        *from = s;
        *to = g->to;
        if (*to - *from + 1 > RESEND_SPAN)
                *to = *from + RESEND_SPAN - 1;
}

static bool request_done(const struct dev *d)
{
        for (size_t i = 0; i < d->n_gaps; i++) {
                const struct gap *g = &d->gaps[i];
                if (g->id != d->req.gap_id)
                        continue;
                if (!g->bits)
                        return false;
                for (int64_t s = d->req.from; s <= d->req.to; s++)
                        if (!gap_has(g, s))
                                return false;
                return true;
        }
        return true; /* its gap closed */
}

/* Keeps the current request until all it asked for arrived, then asks for
 * the next missing run, so that a node serving a request is not made to
 * start again with every pack. */
static void request_update(struct ingest *in, struct dev *d)
{
        char topic[128], payload[256];

        if (d->req.id[0] && !request_done(d)) {
                if (d->req_published)
                        return;
        } else if (!d->req.id[0] && !d->n_gaps && d->req_published) {
                return; /* nothing asked, nothing to ask */
        } else {
                /* The first time after a start this also clears a request
                 * left in the broker by an earlier run. */
                memset(&d->req, 0, sizeof(d->req));
                if (d->n_gaps) {
                        const struct gap *g = &d->gaps[0];
                        for (size_t i = 1; i < d->n_gaps; i++)
                                if (d->gaps[i].opened_at < g->opened_at ||
                                    (d->gaps[i].opened_at == g->opened_at && d->gaps[i].id < g->id))
                                        g = &d->gaps[i];
                        d->req.gap_id = g->id;
                        d->req.epoch = g->epoch;
                        gap_missing(g, &d->req.from, &d->req.to);
                        /* At most 32 characters (the node keeps a hash of each
                         * id it served): gap, run, and a counter. */
                        snprintf(d->req.id, sizeof(d->req.id), "g%" PRId64 ".%x.%u", g->id,
                                 (unsigned)in->run, ++in->n_req);
                }
                d->req_published = false;
        }
        snprintf(topic, sizeof(topic), TOPIC_PREFIX "%s/down", d->name);
        if (d->req.id[0])
                snprintf(payload, sizeof(payload),
                         "{\"resend\":{\"id\":\"%s\",\"epoch\":%" PRId64 ",\"from\":%" PRId64
                         ",\"to\":%" PRId64 "}}",
                         d->req.id, d->req.epoch, d->req.from, d->req.to);
        else
                snprintf(payload, sizeof(payload), "{}");
        if (d->settings) {
                /* The down is one retained message: keep the settings that
                 * `sonae device set` wrote beside the request. */
                json_t *all = json_loads(d->settings, 0, NULL);
                json_t *rs = json_loads(payload, 0, NULL);
                char *text = NULL;
                if (all && rs && json_is_object(all)) {
                        json_object_del(all, "resend");
                        json_object_update(all, rs);
                        text = json_dumps(all, JSON_COMPACT);
                }
                json_decref(all);
                json_decref(rs);
                if (text && strlen(text) < DOWN_MAX) {
                        d->req_published =
                            !in->o.publish || in->o.publish(in->o.publish_ctx, topic, text) == 0;
                        free(text);
                        return;
                }
                free(text);
        }
        d->req_published = !in->o.publish || in->o.publish(in->o.publish_ctx, topic, payload) == 0;
}

/* A down as the broker holds it (ours, or written by `sonae device set`):
 * its keys other than resend are kept to be written back with requests. */
static void handle_down(struct dev *d, const void *payload, size_t len)
{
        json_t *j;
        char *text;

        if (len == 0 || len >= DOWN_MAX)
                return;
        j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
        if (!j || !json_is_object(j)) {
                json_decref(j);
                return;
        }
        json_object_del(j, "resend");
        text = json_object_size(j) ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        free(d->settings);
        d->settings = text;
}

/* ---- Messages ---------------------------------------------------------- */

static void malformed(struct ingest *in, struct dev *d, const char *name, const char *why)
{
        in->stats.malformed++;
        if (d) {
                d->malformed++;
                if (d->bad_streak)
                        return;
                d->bad_streak = true;
        }
        log_warn("device %s: message dropped: %s", name, why);
}

static void good(struct dev *d)
{
        if (d->bad_streak)
                log_info("device %s: messages well-formed again after %" PRIu64 " dropped", d->name,
                         d->malformed);
        d->bad_streak = false;
}

static double micro(int64_t v)
{
        return (double)v / 1e6;
}

/* Marks seq of epoch present in the open gaps; closes a gap when full. */
static int gaps_fill(struct ingest *in, struct dev *d, int64_t epoch, int64_t seq, int64_t now)
{
        for (size_t i = 0; i < d->n_gaps; i++) {
                struct gap *g = &d->gaps[i];
                int64_t k;
                int r;

                if (g->epoch != epoch || seq < g->from || seq > g->to || !g->bits)
                        continue;
                k = seq - g->from;
                if (gap_has(g, seq))
                        return 0;
                g->bits[k / 8] |= (uint8_t)(1u << (k % 8));
                if (++g->present < g->to - g->from + 1)
                        return 0;
                r = store_gap_close(in->st, g->id, now);
                if (r < 0)
                        return r;
                in->stats.gaps_closed++;
                log_info("device %s: gap %" PRId64 "..%" PRId64 " of epoch %" PRId64 " closed",
                         d->name, g->from, g->to, g->epoch);
                free(g->bits);
                d->gaps[i] = d->gaps[--d->n_gaps];
                return 0;
        }
        return 0;
}

static int gap_open(struct ingest *in, struct dev *d, int64_t epoch, int64_t from, int64_t to,
                    int64_t now)
{
        int64_t id = 0;
        int r = store_gap_open(in->st, d->id, epoch, from, to, &id);

        if (r < 0)
                return r;
        in->stats.gaps_opened++;
        log_info("device %s: gap %" PRId64 "..%" PRId64 " of epoch %" PRId64 ", asking a resend",
                 d->name, from, to, epoch);
        return gap_add(d, id, epoch, from, to, now);
}

/* Turns one decoded reading into its row and observations (appended to
 * in->rows and in->obs) with the server's level and the quality flags. */
static int prepare_reading(struct ingest *in, struct dev *d, uint32_t epoch,
                           const struct senml_reading *r, int64_t now)
{
        struct store_calibration cal;
        struct store_reading *rd = &in->rows[in->n_rows++];
        double level = NAN;
        int rc;

        memset(rd, 0, sizeof(*rd));
        rd->device_id = d->id;
        rd->epoch = epoch;
        rd->seq = r->seq;
        rd->measured_at = r->t;
        rd->received_at = now;
        rd->dist_m = (r->has & SENML_HAS_DIST) ? micro(r->dist_u) : NAN;
        rd->level_m = (r->has & SENML_HAS_LEVEL) ? micro(r->level_u) : NAN;
        rd->temp_c = (r->has & SENML_HAS_TEMP) ? micro(r->temp_u) : NAN;
        rd->batt_v = (r->has & SENML_HAS_BATT) ? micro(r->batt_u) : NAN;
        rd->rssi_dbm = (r->has & SENML_HAS_RSSI) ? micro(r->rssi_u) : NAN;

        /* The server's level: the calibration in force when it was measured. */
        memset(&cal, 0, sizeof(cal));
        rc = store_calibration_at(in->st, d->id, r->t, &cal);
        if (rc == 0) {
                if (!isnan(rd->dist_m))
                        level = cal.mount_height_m - rd->dist_m;
                free((char *)cal.note);
                /* Levels of another calibration are no history for the
                 * spike, rate and flatline tests: a recalibration is a step. */
                if (cal.valid_from != d->cal_from && (!d->h.n || r->t > d->h.t[d->h.n - 1])) {
                        memset(&d->h, 0, sizeof(d->h));
                        d->cal_from = cal.valid_from;
                }
        } else if (rc != -ENOENT) {
                return rc;
        }
        rd->quality = qc_flags(&in->o.qc, &d->h, r->t, rd->dist_m, level, now);
        /* A redelivered reading is no newer than the history, so pushing
         * it changes nothing. */
        if (!(rd->quality & (STORE_Q_SPIKE | STORE_Q_RANGE)))
                qc_history_push(&d->h, r->t, level);

        /* A reading whose time is in the future is kept in readings with its
         * receive time, but makes no observation: its time is unknown.  A
         * duplicate's observations are duplicates too, ignored by the store. */
        if (d->station_id <= 0 || (rd->quality & STORE_Q_CLOCK))
                return 0;
#define OBS(q, v, f)                                                                               \
        do {                                                                                       \
                if (!isnan(v))                                                                     \
                        in->obs[in->n_obs++] = (struct store_obs){d->station_id, q, r->t, v, f};   \
        } while (0)
        OBS("water_level_m", level, rd->quality);
        OBS("distance_m", rd->dist_m, rd->quality & (unsigned)STORE_Q_RANGE);
        OBS("temp_c", rd->temp_c, 0u);
        OBS("battery_v", rd->batt_v, 0u);
        OBS("rssi_dbm", rd->rssi_dbm, 0u);
#undef OBS
        return 0;
}

static int handle_up(struct ingest *in, struct dev *d, const void *payload, size_t len, int64_t now)
{
        struct senml_pack *p = &in->pack;
        int r;

        r = senml_decode(payload, len, p);
        if (r < 0) {
                char why[128];
                snprintf(why, sizeof(why), "%s at byte %zu", p->why ? p->why : "malformed", p->at);
                malformed(in, d, d->name, why);
                return 0;
        }
        if (strcmp(p->device, d->name) != 0) {
                malformed(in, d, d->name, "the pack names another device than its topic");
                return 0;
        }
        for (unsigned i = 0; i < p->n; i++)
                if (p->r[i].t <= 0) {
                        malformed(in, d, d->name, "a reading without a valid time");
                        return 0;
                }

        r = store_begin(in->st);
        if (r < 0)
                return r;
        /* One batch of rows and one of observations per message: the store
         * updates each station's latest state once per batch. */
        in->n_rows = in->n_obs = 0;
        for (unsigned i = 0; i < p->n && r == 0; i++)
                r = prepare_reading(in, d, p->epoch, &p->r[i], now);
        if (r == 0) {
                struct store_obs_result res = {0};
                r = store_readings_add(in->st, in->rows, in->n_rows, &res);
                in->stats.readings += res.inserted;
                in->stats.duplicates += res.duplicates;
        }
        if (r == 0 && in->n_obs)
                r = store_observations_add(in->st, in->obs, in->n_obs, NULL);
        for (unsigned i = 0; i < p->n && r == 0; i++) {
                int64_t seq = p->r[i].seq;

                if (!d->have_last || p->epoch > d->epoch) {
                        /* A new node or a reflash: seq starts again. */
                        if (d->have_last && seq > 0)
                                r = gap_open(in, d, p->epoch, 0, seq - 1, now);
                        d->have_last = true;
                        d->epoch = p->epoch;
                        d->max_seq = seq;
                } else if (p->epoch == d->epoch && seq > d->max_seq) {
                        if (seq > d->max_seq + 1)
                                r = gap_open(in, d, p->epoch, d->max_seq + 1, seq - 1, now);
                        d->max_seq = seq;
                } else {
                        r = gaps_fill(in, d, p->epoch, seq, now);
                }
        }
        /* The store's last_seen_at is kept within a minute, so that a
         * restarted daemon judges health from it without a write per
         * message. */
        if (r == 0 && (strcmp(d->health, "online") != 0 || now - d->stored_seen >= 60)) {
                r = store_device_health_set(in->st, d->id, "online", now, NULL, NAN, NAN);
                if (r == 0) {
                        if (strcmp(d->health, "online") != 0)
                                log_info("device %s: online", d->name);
                        snprintf(d->health, sizeof(d->health), "online");
                        d->stored_seen = now;
                }
        }
        if (r == 0)
                r = store_commit(in->st);
        else
                store_rollback(in->st);
        if (r < 0)
                return r;
        d->last_seen = now;
        good(d);
        return 0;
}

static int handle_status(struct ingest *in, struct dev *d, const void *payload, size_t len,
                         bool retained, int64_t now)
{
        json_error_t jerr;
        json_t *j, *v;
        const char *state = NULL, *fw = NULL;
        double batt = NAN, rssi = NAN;
        int r = 0;

        if (len > STATUS_MAX) {
                malformed(in, d, d->name, "status message over 1024 bytes");
                return 0;
        }
        j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j || !json_is_object(j)) {
                malformed(in, d, d->name, "status is not a JSON object");
                json_decref(j);
                return 0;
        }
        if ((v = json_object_get(j, "state")) && json_is_string(v))
                state = json_string_value(v);
        if ((v = json_object_get(j, "fw")) && json_is_string(v) &&
            strlen(json_string_value(v)) < 64)
                fw = json_string_value(v);
        if ((v = json_object_get(j, "batt_v")) && json_is_number(v))
                batt = json_number_value(v);
        if ((v = json_object_get(j, "rssi_dbm")) && json_is_number(v))
                rssi = json_number_value(v);
        if (!state || (strcmp(state, "online") != 0 && strcmp(state, "offline") != 0)) {
                malformed(in, d, d->name, "status without a state of online or offline");
                goto out;
        }
        if (strcmp(state, "offline") == 0) {
                /* The will: an unexpected drop within a session.  Health
                 * follows arrivals, so this is only noted. */
                log_info("device %s: connection dropped (will)", d->name);
                goto out;
        }
        if (retained) {
                /* Replayed by the broker on subscribing: no arrival. */
                r = store_device_health_set(in->st, d->id, d->health, 0, fw, batt, rssi);
                goto out;
        }
        r = store_device_health_set(in->st, d->id, "online", now, fw, batt, rssi);
        if (r < 0)
                goto out;
        if (strcmp(d->health, "online") != 0)
                log_info("device %s: online", d->name);
        snprintf(d->health, sizeof(d->health), "online");
        d->last_seen = now;
        d->stored_seen = now;
        good(d);
out:
        json_decref(j);
        return r;
}

int ingest_message(struct ingest *in, const char *topic, const void *payload, size_t len,
                   bool retained, int64_t now)
{
        char name[SENML_DEVICE_MAX + 1];
        char kind;
        struct dev *d;
        int r;

        in->stats.messages++;
        if (ingest_topic_parse(topic, name, sizeof(name), &kind) < 0) {
                malformed(in, NULL, "?", "a topic that is not a node's up or status");
                return 0;
        }
        if (!ingest_owns(in, name)) {
                /* Another instance stores it; acknowledged here unstored.
                 * Only the device id is logged, never what it sent. */
                in->stats.messages--;
                if (kind != 'd')
                        in->stats.others++;
                log_debug("device %s: handled by another instance, ignored", name);
                return 0;
        }
        d = dev_find(in, name, true);
        if (!d)
                return -ENOMEM;
        if (kind == 'd') {
                in->stats.messages--; /* not a node's message */
                handle_down(d, payload, len);
                return 0;
        }
        if (!d->loaded) {
                r = dev_load(in, d);
                if (r < 0)
                        goto fail;
        }
        if (d->known && d->refreshed_at != now) {
                /* `sonae device set` may have disabled it or moved it. */
                r = dev_refresh(in, d, now);
                if (r < 0)
                        goto fail;
        }
        if (!d->known) {
                /* Added since the last look?  Devices are few; ask again. */
                r = dev_load(in, d);
                if (r < 0)
                        goto fail;
                if (!d->known) {
                        malformed(in, d, name, "no such device in the store");
                        return 0;
                }
        }
        if (!d->enabled) {
                malformed(in, d, name, "the device is disabled");
                return 0;
        }
        r = kind == 'u' ? handle_up(in, d, payload, len, now)
                        : handle_status(in, d, payload, len, retained, now);
        if (r < 0)
                goto fail;
        request_update(in, d);
        return 0;
fail:
        in->stats.store_errors++;
        dev_forget(d);
        if (r == -EINVAL) {
                /* The store refused a value the decoder let through: this
                 * message can never be stored, so it is dropped, counted. */
                malformed(in, d, name, "the store refused a value of it");
                return 0;
        }
        return r;
}

/* ---- Periodic work ----------------------------------------------------- */

static int reload_devices(struct ingest *in, int64_t now)
{
        struct store_device_list l = {0};
        int r = store_devices_list(in->st, &l);

        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n && r == 0; i++) {
                struct dev *d;
                /* Another instance's devices: their health, gaps and
                 * resend requests are that instance's work. */
                if (!ingest_owns(in, l.v[i].device))
                        continue;
                d = dev_find(in, l.v[i].device, true);
                if (!d) {
                        r = -ENOMEM;
                        break;
                }
                if (!d->loaded || d->station_id != l.v[i].station_id ||
                    d->enabled != l.v[i].enabled)
                        r = dev_load(in, d);
        }
        store_device_list_free(&l);
        in->last_reload = now;
        return r;
}

int ingest_tick(struct ingest *in, int64_t now)
{
        int r = 0;
        int grace = in->o.grace > 0 ? in->o.grace : 3;

        if (now - in->last_reload >= 60) {
                r = reload_devices(in, now);
                if (r < 0)
                        return r;
        }
        for (size_t b = 0; b < HASH_BUCKETS; b++)
                for (struct dev *d = in->bucket[b]; d; d = d->next) {
                        if (!d->loaded || !d->known || !d->enabled)
                                continue;
                        if (strcmp(d->health, "online") == 0 &&
                            now - d->last_seen > d->expected_s * grace) {
                                r = store_device_health_set(in->st, d->id, "offline", 0, NULL, NAN,
                                                            NAN);
                                if (r < 0)
                                        return r;
                                snprintf(d->health, sizeof(d->health), "offline");
                                log_warn("device %s: offline, nothing for %" PRId64 " s", d->name,
                                         now - d->last_seen);
                        }
                        for (size_t i = 0; i < d->n_gaps; i++) {
                                struct gap *g = &d->gaps[i];
                                if (g->alerted || now - g->opened_at < in->o.gap_alert_s)
                                        continue;
                                g->alerted = true;
                                log_warn("device %s: gap %" PRId64 "..%" PRId64 " of epoch %" PRId64
                                         " still open after %" PRId64 " s",
                                         d->name, g->from, g->to, g->epoch, now - g->opened_at);
                        }
                        if (!d->req_published)
                                request_update(in, d);
                }
        return 0;
}

int ingest_open(struct store *st, const struct ingest_options *opt, int64_t now,
                struct ingest **out)
{
        struct ingest *in = calloc(1, sizeof(*in));
        int r;

        *out = NULL;
        if (!in)
                return -ENOMEM;
        in->st = st;
        in->o = *opt;
        if (in->o.default_interval_s <= 0)
                in->o.default_interval_s = 3600;
        if (in->o.gap_alert_s <= 0)
                in->o.gap_alert_s = 3600;
        if (in->o.instance_count == 0)
                in->o.instance_count = 1;
        if (in->o.instance_index >= in->o.instance_count) {
                free(in);
                return -EINVAL;
        }
        in->run = (uint32_t)now;
        r = reload_devices(in, now);
        if (r < 0) {
                ingest_close(in);
                return r;
        }
        /* Open gaps from before a restart: the node may have served the old
         * request already, so ask again under a new id. */
        for (size_t b = 0; b < HASH_BUCKETS; b++)
                for (struct dev *d = in->bucket[b]; d; d = d->next)
                        if (d->n_gaps)
                                request_update(in, d);
        *out = in;
        return 0;
}

void ingest_close(struct ingest *in)
{
        if (!in)
                return;
        for (size_t b = 0; b < HASH_BUCKETS; b++) {
                struct dev *d = in->bucket[b], *next;
                for (; d; d = next) {
                        next = d->next;
                        gaps_free(d);
                        free(d->settings);
                        free(d);
                }
        }
        free(in);
}

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out)
{
        *out = in->stats;
}
