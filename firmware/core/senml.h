/* The node's uplink payload: a SenML JSON pack (RFC 8428) on
 * sonae/v1/nodes/{device}/up.  This is the one definition of the format:
 * the firmware encodes with it and sonae-ingestd decodes with it, and the
 * tests run each against the other.  The layout is specified in
 * docs/protocol.md:
 *
 *   [{"bn":"urn:dev:sonae:br-001:","bt":1763900000,"n":"epoch","v":3},
 *    {"n":"seq","v":1200},{"n":"dist","u":"m","v":1.234},
 *    {"n":"level","u":"m","v":2.766},{"n":"temp","u":"Cel","v":12.5},
 *    {"n":"batt","u":"V","v":3.61},{"n":"rssi","u":"dBm","v":-87},
 *    {"bt":1763900600,"n":"seq","v":1201},{"n":"dist","u":"m","v":1.231}, ...]
 *
 * A reading is a seq record followed by its measurement records, all at the
 * same resolved time (the encoder moves the base time in each seq record;
 * a decoder also accepts "t" offsets); epoch appears once per pack.  At most SENML_MAX_READINGS
 * readings and SENML_MAX_PACK bytes per pack.
 *
 * Values are fixed point in micro-units (value x 1e6) so that encoder and
 * decoder are exact and identical on every target.  Nothing here
 * allocates; both directions work in caller-owned memory. */
#ifndef SONAE_SENML_H
#define SONAE_SENML_H

#include <stddef.h>
#include <stdint.h>

#define SENML_MAX_READINGS 48
#define SENML_MAX_PACK     4096
#define SENML_DEVICE_MAX   48
/* Records a pack may hold: seven per reading and a few spare. */
#define SENML_MAX_RECORDS (SENML_MAX_READINGS * 7 + 8)
#define SENML_BN_PREFIX   "urn:dev:sonae:"

/* Which measurement records a reading carries (seq is always there). */
enum {
        SENML_HAS_DIST = 1u << 0,
        SENML_HAS_LEVEL = 1u << 1,
        SENML_HAS_TEMP = 1u << 2,
        SENML_HAS_BATT = 1u << 3,
        SENML_HAS_RSSI = 1u << 4,
};

struct senml_reading {
        int64_t t; /* UTC seconds (fractions truncated by the decoder) */
        uint32_t seq;
        uint32_t has;    /* SENML_HAS_* */
        int64_t dist_u;  /* distance sensor to water, micro-metres */
        int64_t level_u; /* the node's own level (diagnostic), micro-metres */
        int64_t temp_u;  /* air temperature, micro-degrees Celsius */
        int64_t batt_u;  /* battery, micro-volts */
        int64_t rssi_u;  /* signal, micro-dBm */
};

/* A device id: 1..SENML_DEVICE_MAX of [A-Za-z0-9._-]. */
int senml_device_valid(const char *device);

/* ---- Encoding (the node) ---- */

struct senml_enc {
        char *buf; /* borrowed, caller-owned */
        size_t cap;
        size_t len;
        int64_t bt; /* the base time in force */
        unsigned n;
};

/* Starts a pack for device at base time bt (the first reading's time) in
 * buf (cap bytes, at most SENML_MAX_PACK are used).  -EINVAL for a bad
 * device id, -ENOSPC when even the head does not fit. */
int senml_enc_begin(struct senml_enc *e, char *buf, size_t cap, const char *device, int64_t bt,
                    uint32_t epoch);
/* Appends one reading.  -ENOSPC when it would pass SENML_MAX_READINGS or
 * the byte cap (the pack is left as it was, ready to finish); -EINVAL for
 * a value that cannot be encoded. */
int senml_enc_add(struct senml_enc *e, const struct senml_reading *r);
/* Closes the pack and NUL-terminates it; *len gets its length without NUL.
 * -EINVAL for an empty pack. */
int senml_enc_finish(struct senml_enc *e, size_t *len);

/* ---- Decoding (sonae-ingestd and the tests) ---- */

struct senml_pack {
        char device[SENML_DEVICE_MAX + 1];
        uint32_t epoch;
        unsigned n;
        struct senml_reading r[SENML_MAX_READINGS];
        const char *why; /* static reason when decoding failed, else NULL */
        size_t at;       /* byte offset where it failed */
};

/* Decodes a pack of len bytes (need not be NUL-terminated).  Pure: reads
 * only buf, writes only *out.  Returns 0, or -EMSGSIZE (over
 * SENML_MAX_PACK), -E2BIG (too many readings or records), -ERANGE (a value
 * or time out of range), -EINVAL (anything else malformed); out->why says
 * what in words fit for a log line. */
int senml_decode(const char *buf, size_t len, struct senml_pack *out);

/* Formats micro-units as the shortest decimal (at most six decimals) into
 * out; returns its length or -ENOSPC. */
int senml_format_micro(int64_t v, char *out, size_t cap);

#endif
