/* Quality control of the city's own water-level sensors: the flags of
 * docs/sensors.md, computed from a reading and the device's recent
 * history.  Pure: no store, no clock, no allocation; the caller owns the
 * history and passes the receive time.  Flags are the store's
 * STORE_Q_* bits; a flagged reading is kept, never dropped. */
#ifndef SONAE_QC_H
#define SONAE_QC_H

#include <stddef.h>
#include <stdint.h>

#define QC_HISTORY 12

struct qc_params {
        double dist_min_m, dist_max_m;   /* the sensor's physical range */
        double level_min_m, level_max_m; /* plausible water levels */
        double spike_m;                  /* away from the recent median */
        double flat_m;                   /* "unchanged" for the flatline test */
        size_t flat_n;                   /* that many equal values in a row */
        double rate_m_per_h;             /* implausible rise or fall */
        int64_t future_s;                /* clock: measured after receive + this */
};

/* The defaults documented in docs/sensors.md. */
extern const struct qc_params qc_default_params;

/* The last QC_HISTORY accepted (time, level) of one device, oldest first. */
struct qc_history {
        int64_t t[QC_HISTORY];
        double level[QC_HISTORY];
        size_t n;
};

/* Flags of one reading measured at t with distance dist_m and the server's
 * level (NAN when no calibration is in force), received at now. */
unsigned qc_flags(const struct qc_params *p, const struct qc_history *h, int64_t t, double dist_m,
                  double level_m, int64_t now);

/* Appends (t, level) when it is newer than the history's last entry;
 * older readings (a resend filling a gap) leave it as it was. */
void qc_history_push(struct qc_history *h, int64_t t, double level_m);

#endif
