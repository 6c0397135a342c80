#include "metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static const int codes[] = {200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405,
                            406, 408, 409, 413, 414, 415, 416, 429, 431, 500, 501, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]) + 1) /* last: any other */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BUCKETS (sizeof(bounds) / sizeof(bounds[0]))

struct route_stats {
        _Atomic uint64_t by_code[N_CODES];
        _Atomic uint64_t buckets[N_BUCKETS]; /* not cumulative; summed at scrape */
        _Atomic uint64_t count;
        _Atomic uint64_t sum_us;
};

struct metrics {
        const char *const *labels;
        size_t n;
        struct route_stats *r;
};

int metrics_new(const char *const *labels, size_t n, struct metrics **out)
{
        struct metrics *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->r = calloc(n ? n : 1, sizeof(*m->r));
        if (!m->r) {
                free(m);
                return -ENOMEM;
        }
        m->labels = labels;
        m->n = n;
        *out = m;
        return 0;
}

void metrics_free(struct metrics *m)
{
        if (!m)
                return;
        free(m->r);
        free(m);
}

void metrics_observe(struct metrics *m, size_t idx, int status, double seconds)
{
        if (!m || idx >= m->n)
                return;
        struct route_stats *s = &m->r[idx];
        size_t c = N_CODES - 1;
        for (size_t i = 0; i + 1 < N_CODES; i++)
                if (codes[i] == status) {
                        c = i;
                        break;
                }
        atomic_fetch_add_explicit(&s->by_code[c], 1, memory_order_relaxed);
        for (size_t b = 0; b < N_BUCKETS; b++)
                if (seconds <= bounds[b]) {
                        atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
                        break;
                }
        atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
        uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
        atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
}

int metrics_write(struct metrics *m, struct buf *out)
{
        int rc = 0;
        rc |= buf_puts(out, "# HELP sonae_http_requests_total HTTP answers by route and status.\n"
                            "# TYPE sonae_http_requests_total counter\n");
        for (size_t i = 0; i < m->n; i++)
                for (size_t c = 0; c < N_CODES; c++) {
                        uint64_t v =
                            atomic_load_explicit(&m->r[i].by_code[c], memory_order_relaxed);
                        if (!v)
                                continue;
                        if (c + 1 < N_CODES)
                                rc |= buf_printf(
                                    out,
                                    "sonae_http_requests_total{route=\"%s\",code=\"%d\"} "
                                    "%llu\n",
                                    m->labels[i], codes[c], (unsigned long long)v);
                        else
                                rc |= buf_printf(
                                    out,
                                    "sonae_http_requests_total{route=\"%s\",code=\"other\"} "
                                    "%llu\n",
                                    m->labels[i], (unsigned long long)v);
                }
        rc |= buf_puts(out, "# HELP sonae_http_request_duration_seconds Time from the request "
                            "headers to the answer's last byte.\n"
                            "# TYPE sonae_http_request_duration_seconds histogram\n");
        for (size_t i = 0; i < m->n; i++) {
                uint64_t count = atomic_load_explicit(&m->r[i].count, memory_order_relaxed);
                if (!count)
                        continue;
                uint64_t cum = 0;
                for (size_t b = 0; b < N_BUCKETS; b++) {
                        cum += atomic_load_explicit(&m->r[i].buckets[b], memory_order_relaxed);
                        rc |= buf_printf(out,
                                         "sonae_http_request_duration_seconds_bucket{route=\"%s\","
                                         "le=\"%g\"} %llu\n",
                                         m->labels[i], bounds[b], (unsigned long long)cum);
                }
                rc |= buf_printf(
                    out,
                    "sonae_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                    "%llu\n"
                    "sonae_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                    "sonae_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                    m->labels[i], (unsigned long long)count, m->labels[i],
                    (double)atomic_load_explicit(&m->r[i].sum_us, memory_order_relaxed) / 1e6,
                    m->labels[i], (unsigned long long)count);
        }
        return rc ? -ENOBUFS : 0;
}
