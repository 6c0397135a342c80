/* Quality flags of sensor readings; see qc.h and docs/sensors.md. */
#include "qc.h"

#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct qc_params qc_default_params = {
    .dist_min_m = 0.05,
    .dist_max_m = 12.0,
    .level_min_m = -10.0,
    .level_max_m = 50.0,
    .spike_m = 0.5,
    .flat_m = 0.0005,
    .flat_n = QC_HISTORY,
    .rate_m_per_h = 3.0,
    .future_s = 300,
};

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median_last(const struct qc_history *h, size_t k)
{
        double v[QC_HISTORY];
        size_t n = h->n < k ? h->n : k;

        memcpy(v, h->level + (h->n - n), n * sizeof(v[0]));
        qsort(v, n, sizeof(v[0]), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

unsigned qc_flags(const struct qc_params *p, const struct qc_history *h, int64_t t, double dist_m,
                  double level_m, int64_t now)
{
        unsigned q = 0;

        if (t > now + p->future_s)
                q |= STORE_Q_CLOCK;
        if (!isnan(dist_m) && (dist_m < p->dist_min_m || dist_m > p->dist_max_m))
                q |= STORE_Q_RANGE;
        if (!isnan(level_m) && (level_m < p->level_min_m || level_m > p->level_max_m))
                q |= STORE_Q_RANGE;
        /* The history tests only judge a reading that continues it: an older
         * one (a resend filling a gap) has no neighbours here to compare. */
        if (isnan(level_m) || h->n == 0 || t <= h->t[h->n - 1])
                return q;
        if (h->n >= 2 && fabs(level_m - median_last(h, 5)) > p->spike_m)
                q |= STORE_Q_SPIKE;
        {
                double dt = (double)(t - h->t[h->n - 1]);
                /* Readings closer than a minute are judged as a minute apart,
                 * so that jitter in a fast series is not a "rate". */
                if (dt < 60)
                        dt = 60;
                if (fabs(level_m - h->level[h->n - 1]) / dt * 3600.0 > p->rate_m_per_h)
                        q |= STORE_Q_RATE;
        }
        if (p->flat_n >= 2 && h->n + 1 >= p->flat_n) {
                size_t i, same = 1;
                for (i = h->n; i-- > 0 && same < p->flat_n;) {
                        if (fabs(h->level[i] - level_m) > p->flat_m)
                                break;
                        same++;
                }
                if (same >= p->flat_n)
                        q |= STORE_Q_FLATLINE;
        }
        return q;
}

void qc_history_push(struct qc_history *h, int64_t t, double level_m)
{
        if (isnan(level_m) || (h->n && t <= h->t[h->n - 1]))
                return;
        if (h->n == QC_HISTORY) {
                memmove(h->t, h->t + 1, (QC_HISTORY - 1) * sizeof(h->t[0]));
                memmove(h->level, h->level + 1, (QC_HISTORY - 1) * sizeof(h->level[0]));
                h->n--;
        }
        h->t[h->n] = t;
        h->level[h->n] = level_m;
        h->n++;
}
