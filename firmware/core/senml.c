#include "senml.h"
#include "fw_json.h"

#include <errno.h>
#include <string.h>

int senml_device_valid(const char *device)
{
        size_t i;
        if (!device || !device[0])
                return 0;
        for (i = 0; i <= SENML_DEVICE_MAX; i++) {
                char c = device[i];
                if (c == '\0')
                        return 1;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return 0;
        }
        return 0;
}

/* ---- Encoding ---- */

/* Writes a signed integer in decimal; returns its length or -ENOSPC. */
static int fmt_int(int64_t v, char *out, size_t cap)
{
        char tmp[24];
        size_t n = 0, i;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
                tmp[n++] = (char)('0' + (u % 10));
                u /= 10;
        } while (u && n < sizeof(tmp));
        if (v < 0)
                tmp[n++] = '-';
        if (n + 1 > cap)
                return -ENOSPC;
        for (i = 0; i < n; i++)
                out[i] = tmp[n - 1 - i];
        out[n] = '\0';
        return (int)n;
}

int senml_format_micro(int64_t v, char *out, size_t cap)
{
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        uint64_t whole = u / 1000000u, frac = u % 1000000u;
        char tmp[32];
        size_t n = 0, i;
        int decimals = 6, r;
        if (v < 0)
                tmp[n++] = '-';
        r = fmt_int((int64_t)whole, tmp + n, sizeof(tmp) - n);
        if (r < 0)
                return r;
        n += (size_t)r;
        if (frac) {
                while (decimals > 0 && frac % 10 == 0) {
                        frac /= 10;
                        decimals--;
                }
                tmp[n++] = '.';
                for (i = 0; i < (size_t)decimals; i++) {
                        uint64_t d = frac;
                        int k;
                        for (k = 0; k < decimals - 1 - (int)i; k++)
                                d /= 10;
                        tmp[n++] = (char)('0' + d % 10);
                }
        }
        if (n + 1 > cap)
                return -ENOSPC;
        memcpy(out, tmp, n);
        out[n] = '\0';
        return (int)n;
}

/* The byte cap of a pack: the buffer less room for "]" and the NUL. */
static size_t enc_limit(const struct senml_enc *e)
{
        size_t cap = e->cap < SENML_MAX_PACK + 1 ? e->cap : SENML_MAX_PACK + 1;
        return cap >= 2 ? cap - 2 : 0;
}

static int put_str(struct senml_enc *e, const char *s)
{
        size_t n = strlen(s);
        if (e->len + n > enc_limit(e))
                return -ENOSPC;
        memcpy(e->buf + e->len, s, n);
        e->len += n;
        return 0;
}

static int put_int(struct senml_enc *e, int64_t v)
{
        char tmp[24];
        int r = fmt_int(v, tmp, sizeof(tmp));
        return r < 0 ? r : put_str(e, tmp);
}

static int put_micro(struct senml_enc *e, int64_t v)
{
        char tmp[32];
        int r = senml_format_micro(v, tmp, sizeof(tmp));
        return r < 0 ? r : put_str(e, tmp);
}

int senml_enc_begin(struct senml_enc *e, char *buf, size_t cap, const char *device, int64_t bt,
                    uint32_t epoch)
{
        int r;
        memset(e, 0, sizeof(*e));
        if (!senml_device_valid(device) || !buf)
                return -EINVAL;
        e->buf = buf;
        e->cap = cap;
        e->bt = bt;
        r = put_str(e, "[{\"bn\":\"" SENML_BN_PREFIX);
        if (!r)
                r = put_str(e, device);
        if (!r)
                r = put_str(e, ":\",\"bt\":");
        if (!r)
                r = put_int(e, bt);
        if (!r)
                r = put_str(e, ",\"n\":\"epoch\",\"v\":");
        if (!r)
                r = put_int(e, epoch);
        if (!r)
                r = put_str(e, "}");
        if (r < 0) {
                e->len = 0;
                return r;
        }
        return 0;
}

/* One record.  The seq record of a reading sets the base time to the
 * reading's time ("bt"), so the measurement records after it need no "t"
 * at all: RFC 8428 base fields apply to every record that follows. */
static int put_rec(struct senml_enc *e, const char *name, const char *unit, const int64_t *bt,
                   int64_t v, int micro)
{
        int r = put_str(e, ",{");
        if (!r && bt) {
                r = put_str(e, "\"bt\":");
                if (!r)
                        r = put_int(e, *bt);
                if (!r)
                        r = put_str(e, ",");
        }
        if (!r)
                r = put_str(e, "\"n\":\"");
        if (!r)
                r = put_str(e, name);
        if (!r && unit) {
                r = put_str(e, "\",\"u\":\"");
                if (!r)
                        r = put_str(e, unit);
        }
        if (!r)
                r = put_str(e, "\",\"v\":");
        if (!r)
                r = micro ? put_micro(e, v) : put_int(e, v);
        if (!r)
                r = put_str(e, "}");
        return r;
}

int senml_enc_add(struct senml_enc *e, const struct senml_reading *rd)
{
        size_t mark = e->len;
        int64_t bt = rd->t;
        int r;
        if (!e->buf || e->len == 0)
                return -EINVAL;
        if (e->n >= SENML_MAX_READINGS)
                return -ENOSPC;
        /* The base time is only repeated when it changes. */
        r = put_rec(e, "seq", NULL, bt != e->bt ? &bt : NULL, rd->seq, 0);
        if (!r && (rd->has & SENML_HAS_DIST))
                r = put_rec(e, "dist", "m", NULL, rd->dist_u, 1);
        if (!r && (rd->has & SENML_HAS_LEVEL))
                r = put_rec(e, "level", "m", NULL, rd->level_u, 1);
        if (!r && (rd->has & SENML_HAS_TEMP))
                r = put_rec(e, "temp", "Cel", NULL, rd->temp_u, 1);
        if (!r && (rd->has & SENML_HAS_BATT))
                r = put_rec(e, "batt", "V", NULL, rd->batt_u, 1);
        if (!r && (rd->has & SENML_HAS_RSSI))
                r = put_rec(e, "rssi", "dBm", NULL, rd->rssi_u, 1);
        if (r < 0) {
                e->len = mark;
                return r;
        }
        e->bt = bt;
        e->n++;
        return 0;
}

int senml_enc_finish(struct senml_enc *e, size_t *len)
{
        if (!e->buf || e->len == 0 || e->n == 0)
                return -EINVAL;
        /* enc_limit() kept two bytes free for these. */
        e->buf[e->len++] = ']';
        e->buf[e->len] = '\0';
        if (len)
                *len = e->len;
        return 0;
}

/* ---- Decoding ---- */

enum field {
        F_BN = 1u << 0,
        F_BT = 1u << 1,
        F_BU = 1u << 2,
        F_BV = 1u << 3,
        F_BVER = 1u << 4,
        F_N = 1u << 5,
        F_U = 1u << 6,
        F_V = 1u << 7,
        F_T = 1u << 8,
        F_OTHERVAL = 1u << 9, /* vs, vb, vd or s */
        F_OTHER = 1u << 10,
};

struct rec {
        unsigned seen;
        char bn[SENML_DEVICE_MAX + sizeof(SENML_BN_PREFIX) + 1];
        char bu[8];
        char n[16];
        char u[8];
        int64_t bt, bv, v, t;
};

/* What the names of the format mean: unit, and sane bounds in units. */
struct quantity {
        const char *name;
        const char *unit; /* NULL: must carry none */
        uint32_t has;
        int64_t lo, hi;
};

static const struct quantity quantities[] = {
    {"epoch", NULL, 0, 0, 4294967295LL},        {"seq", NULL, 0, 0, 4294967295LL},
    {"dist", "m", SENML_HAS_DIST, -1000, 1000}, {"level", "m", SENML_HAS_LEVEL, -1000, 1000},
    {"temp", "Cel", SENML_HAS_TEMP, -100, 200}, {"batt", "V", SENML_HAS_BATT, 0, 100},
    {"rssi", "dBm", SENML_HAS_RSSI, -300, 100},
};

static int bad(struct senml_pack *out, struct fwj *j, const char *why, int err)
{
        if (!out->why) {
                out->why = why;
                out->at = j->pos;
        }
        return err;
}

static int key_is(const char *k, const char *want)
{
        return strcmp(k, want) == 0;
}

static int read_record(struct fwj *j, struct rec *rc, struct senml_pack *out)
{
        char key[16];
        int r, nkeys;
        rc->seen = 0;
        r = fwj_expect(j, '{');
        if (r < 0)
                return bad(out, j, "expected a record object", r);
        if (fwj_accept(j, '}'))
                return bad(out, j, "empty record", -EINVAL);
        for (nkeys = 0; nkeys < 32; nkeys++) {
                unsigned f;
                r = fwj_string(j, key, sizeof(key));
                if (r == -ENAMETOOLONG)
                        return bad(out, j, "unknown long field name", -EINVAL);
                if (r < 0)
                        return bad(out, j, j->why ? j->why : "bad field name", r);
                if (key[0] && key[strlen(key) - 1] == '_')
                        return bad(out, j, "must-understand field not supported", -EINVAL);
                r = fwj_expect(j, ':');
                if (r < 0)
                        return bad(out, j, "expected ':'", r);
                if (key_is(key, "bn")) {
                        f = F_BN;
                        r = fwj_string(j, rc->bn, sizeof(rc->bn));
                } else if (key_is(key, "bu")) {
                        f = F_BU;
                        r = fwj_string(j, rc->bu, sizeof(rc->bu));
                } else if (key_is(key, "n")) {
                        f = F_N;
                        r = fwj_string(j, rc->n, sizeof(rc->n));
                        if (r == -ENAMETOOLONG) {
                                /* Not one of ours (the string was consumed): a
                                 * marker name that matches no quantity. */
                                rc->n[0] = '?';
                                rc->n[1] = '\0';
                                j->why = NULL;
                                r = 0;
                        }
                } else if (key_is(key, "u")) {
                        f = F_U;
                        r = fwj_string(j, rc->u, sizeof(rc->u));
                } else if (key_is(key, "bt")) {
                        f = F_BT;
                        r = fwj_number(j, &rc->bt);
                } else if (key_is(key, "bv")) {
                        f = F_BV;
                        r = fwj_number(j, &rc->bv);
                } else if (key_is(key, "v")) {
                        f = F_V;
                        r = fwj_number(j, &rc->v);
                } else if (key_is(key, "t")) {
                        f = F_T;
                        r = fwj_number(j, &rc->t);
                } else if (key_is(key, "bver")) {
                        int64_t ver;
                        f = F_BVER;
                        r = fwj_number(j, &ver);
                        if (!r && (ver < 1 * FWJ_MICRO || ver > 10 * FWJ_MICRO))
                                return bad(out, j, "unsupported SenML version", -EINVAL);
                } else if (key_is(key, "vs") || key_is(key, "vb") || key_is(key, "vd") ||
                           key_is(key, "s")) {
                        f = F_OTHERVAL;
                        r = fwj_skip(j);
                } else {
                        f = F_OTHER;
                        r = fwj_skip(j);
                }
                if (r == -ENAMETOOLONG)
                        return bad(out, j, "string too long", -EINVAL);
                if (r < 0)
                        return bad(out, j, j->why ? j->why : "bad field value", r);
                if (f != F_OTHER && f != F_OTHERVAL && (rc->seen & f))
                        return bad(out, j, "duplicate field", -EINVAL);
                rc->seen |= f;
                if (fwj_accept(j, ','))
                        continue;
                r = fwj_expect(j, '}');
                if (r < 0)
                        return bad(out, j, "expected ',' or '}'", r);
                return 0;
        }
        return bad(out, j, "too many fields in a record", -E2BIG);
}

static const struct quantity *find_quantity(const char *n)
{
        size_t i;
        for (i = 0; i < sizeof(quantities) / sizeof(quantities[0]); i++)
                if (strcmp(quantities[i].name, n) == 0)
                        return &quantities[i];
        return NULL;
}

/* Floor division of micro-seconds to seconds. */
static int64_t micro_to_s(int64_t v)
{
        int64_t s = v / FWJ_MICRO;
        if (v % FWJ_MICRO < 0)
                s--;
        return s;
}

/* RFC 8428: resolved times below 2^28 s are relative to now.  The node
 * always sends absolute times; a relative one means a node without a
 * clock leaked through and is refused.  Above 1e10 s is nonsense. */
#define TIME_MIN ((int64_t)268435456 * FWJ_MICRO)
#define TIME_MAX ((int64_t)10000000000LL * FWJ_MICRO)
#define HALF_MAX ((int64_t)4000000000000000000LL)

int senml_decode(const char *buf, size_t len, struct senml_pack *out)
{
        struct fwj j;
        struct rec rc;
        char bn[sizeof(rc.bn)] = "";
        char bu[sizeof(rc.bu)] = "";
        int64_t bt = 0, bv = 0, seq_t = 0;
        int have_bn = 0, have_epoch = 0, cur = -1, r;
        unsigned nrec;
        size_t plen = sizeof(SENML_BN_PREFIX) - 1;

        memset(out, 0, sizeof(*out));
        fwj_init(&j, buf, len);
        if (!buf || len == 0)
                return bad(out, &j, "empty payload", -EINVAL);
        if (len > SENML_MAX_PACK)
                return bad(out, &j, "pack larger than 4096 bytes", -EMSGSIZE);
        r = fwj_expect(&j, '[');
        if (r < 0)
                return bad(out, &j, "a pack must be a JSON array", r);
        if (fwj_accept(&j, ']'))
                return bad(out, &j, "empty pack", -EINVAL);

        for (nrec = 0; nrec <= SENML_MAX_RECORDS; nrec++) {
                const struct quantity *q;
                const char *unit;
                int64_t t, v;

                if (nrec == SENML_MAX_RECORDS)
                        return bad(out, &j, "too many records", -E2BIG);
                memset(&rc, 0, sizeof(rc));
                r = read_record(&j, &rc, out);
                if (r < 0)
                        return r;

                if (rc.seen & F_BN) {
                        size_t bl = strlen(rc.bn);
                        if (have_bn && strcmp(bn, rc.bn) != 0)
                                return bad(out, &j, "base name changes within the pack", -EINVAL);
                        if (bl <= plen + 1 || strncmp(rc.bn, SENML_BN_PREFIX, plen) != 0 ||
                            rc.bn[bl - 1] != ':')
                                return bad(out, &j,
                                           "base name is not urn:dev:sonae:{device}:", -EINVAL);
                        memcpy(bn, rc.bn, bl + 1);
                        memcpy(out->device, rc.bn + plen, bl - plen - 1);
                        out->device[bl - plen - 1] = '\0';
                        if (!senml_device_valid(out->device))
                                return bad(out, &j, "bad device id in base name", -EINVAL);
                        have_bn = 1;
                }
                if (rc.seen & F_BT) {
                        if (rc.bt < TIME_MIN || rc.bt > TIME_MAX)
                                return bad(out, &j, "base time out of range", -ERANGE);
                        bt = rc.bt;
                }
                if (rc.seen & F_BU)
                        memcpy(bu, rc.bu, sizeof(bu));
                if (rc.seen & F_BV) {
                        if (rc.bv > HALF_MAX || rc.bv < -HALF_MAX)
                                return bad(out, &j, "base value out of range", -ERANGE);
                        bv = rc.bv;
                }

                if (!(rc.seen & (F_N | F_V | F_T | F_U | F_OTHERVAL))) {
                        /* A record of base fields only. */
                        goto next;
                }
                if (!have_bn)
                        return bad(out, &j, "record before the base name", -EINVAL);
                if (!(rc.seen & F_N))
                        return bad(out, &j, "record without a name", -EINVAL);
                q = find_quantity(rc.n);
                if (!q)
                        goto next; /* Someone else's name: ignored, as RFC 8428 allows. */
                if (rc.seen & F_OTHERVAL)
                        return bad(out, &j, "wrong value type (needs \"v\")", -EINVAL);
                if (!(rc.seen & F_V))
                        return bad(out, &j, "record without a value", -EINVAL);
                unit = (rc.seen & F_U) ? rc.u : (bu[0] ? bu : NULL);
                if (q->unit ? (unit && strcmp(unit, q->unit) != 0) : unit != NULL)
                        return bad(out, &j, "wrong unit", -EINVAL);
                if (rc.t > HALF_MAX || rc.t < -HALF_MAX)
                        return bad(out, &j, "time out of range", -ERANGE);
                t = bt + ((rc.seen & F_T) ? rc.t : 0);
                if (t < TIME_MIN)
                        return bad(out, &j, "relative or missing time", -ERANGE);
                if (t > TIME_MAX)
                        return bad(out, &j, "time out of range", -ERANGE);
                if (rc.v > HALF_MAX || rc.v < -HALF_MAX)
                        return bad(out, &j, "value out of range", -ERANGE);
                v = bv + rc.v;
                if (v < q->lo * FWJ_MICRO || v > q->hi * FWJ_MICRO)
                        return bad(out, &j, "value out of range", -ERANGE);

                if (q->has == 0) {
                        /* epoch and seq are whole numbers. */
                        if (v % FWJ_MICRO != 0)
                                return bad(out, &j, "seq and epoch must be integers", -EINVAL);
                        if (q->name[0] == 'e') {
                                if (have_epoch)
                                        return bad(out, &j, "more than one epoch", -EINVAL);
                                out->epoch = (uint32_t)(v / FWJ_MICRO);
                                have_epoch = 1;
                                goto next;
                        }
                        if (out->n >= SENML_MAX_READINGS)
                                return bad(out, &j, "more than 48 readings", -E2BIG);
                        cur = (int)out->n++;
                        out->r[cur].seq = (uint32_t)(v / FWJ_MICRO);
                        out->r[cur].t = micro_to_s(t);
                        seq_t = t;
                        goto next;
                }
                if (cur < 0)
                        return bad(out, &j, "measurement before its seq", -EINVAL);
                if (t != seq_t)
                        return bad(out, &j, "measurement time differs from its seq", -EINVAL);
                if (out->r[cur].has & q->has)
                        return bad(out, &j, "measurement repeated within a reading", -EINVAL);
                out->r[cur].has |= q->has;
                switch (q->has) {
                case SENML_HAS_DIST:
                        out->r[cur].dist_u = v;
                        break;
                case SENML_HAS_LEVEL:
                        out->r[cur].level_u = v;
                        break;
                case SENML_HAS_TEMP:
                        out->r[cur].temp_u = v;
                        break;
                case SENML_HAS_BATT:
                        out->r[cur].batt_u = v;
                        break;
                default:
                        out->r[cur].rssi_u = v;
                        break;
                }
        next:
                if (fwj_accept(&j, ','))
                        continue;
                r = fwj_expect(&j, ']');
                if (r < 0)
                        return bad(out, &j, "expected ',' or ']'", r);
                break;
        }
        r = fwj_end(&j);
        if (r < 0)
                return bad(out, &j, "data after the pack", r);
        if (!have_bn)
                return bad(out, &j, "no base name", -EINVAL);
        if (!have_epoch)
                return bad(out, &j, "no epoch record", -EINVAL);
        if (out->n == 0)
                return bad(out, &j, "no readings", -EINVAL);
        return 0;
}
