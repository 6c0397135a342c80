/* Memory of sonae-ingestd's per-device state: the heap the ingest core
 * (and the store beneath it) holds for N devices (default 1,000) that
 * each sent a pack of twelve readings, against the same process before
 * the ingest was opened.  Printed per 1,000 devices.  Run by
 * tests/bench/bench_ingest.py, or alone: build/sensors/bench-ingest-mem N */
#include "ingest.h"
#include "log.h"
#include "senml.h"
#include "store.h"
#include "store_devices.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1763900000LL

static size_t heap(void)
{
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv)
{
        char dir[] = "/tmp/sonae-bench-mem-XXXXXX", path[256], name[32], topic[96];
        char buf[SENML_MAX_PACK + 1];
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
        struct store_options so = {0};
        struct store *st = NULL;
        struct ingest *in = NULL;
        struct ingest_options o = {.qc = qc_default_params};
        size_t before, opened, after;
        int rc = 1;

        log_set_level(LOG_LVL_WARN);
        if (n <= 0 || n > 1000000 || !mkdtemp(dir))
                return 2;
        snprintf(path, sizeof(path), "%s/sonae.db", dir);
        so.path = path;
        if (store_open(&so, &st) < 0)
                goto out;
        store_begin(st);
        for (long i = 0; i < n; i++) {
                struct store_station s = {0};
                struct store_device d = {0};
                struct store_calibration c = {0, 5.0, NAN, NULL};
                int64_t sid = 0, did = 0;
                snprintf(name, sizeof(name), "m%06ld", i);
                s.kind = "sensor";
                s.source = "sensors";
                s.external_id = name;
                s.name = name;
                s.lon = 139.8;
                s.lat = 38.7;
                s.thr.standby = s.thr.caution = s.thr.evacuation = s.thr.danger = s.thr.flood =
                    s.thr.start = NAN;
                s.expected_interval_s = 600;
                d.device = name;
                d.enabled = true;
                if (store_station_upsert(st, &s, &sid) < 0)
                        goto out;
                d.station_id = sid;
                if (store_device_add(st, &d, &did) < 0 || store_calibration_add(st, did, &c) < 0)
                        goto out;
        }
        if (store_commit(st) < 0)
                goto out;

        before = heap();
        if (ingest_open(st, &o, T0 + 86400, &in) < 0)
                goto out;
        opened = heap();
        for (long i = 0; i < n; i++) {
                struct senml_enc e;
                size_t len = 0;
                snprintf(name, sizeof(name), "m%06ld", i);
                senml_enc_begin(&e, buf, sizeof(buf), name, T0, 1);
                for (int k = 0; k < 12; k++) {
                        struct senml_reading r = {0};
                        r.t = T0 + 600 * k;
                        r.seq = (uint32_t)k;
                        r.has = SENML_HAS_DIST;
                        r.dist_u = 1000000 + k * 1000;
                        senml_enc_add(&e, &r);
                }
                senml_enc_finish(&e, &len);
                snprintf(topic, sizeof(topic), "sonae/v1/nodes/%s/up", name);
                if (ingest_message(in, topic, buf, len, false, T0 + 86400) < 0)
                        goto out;
        }
        after = heap();
        printf("memory: %.0f KiB per 1,000 devices after loading them, %.0f KiB per 1,000 after "
               "each sent 12 readings (heap of the ingest core and the store, %ld devices)\n",
               (double)(opened - before) / 1024.0 * 1000.0 / (double)n,
               (double)(after - before) / 1024.0 * 1000.0 / (double)n, n);
        rc = 0;
out:
        if (rc)
                fprintf(stderr, "bench-ingest-mem: setup failed\n");
        ingest_close(in);
        store_close(st);
        snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
        if (system(buf) != 0)
                rc = 1;
        return rc;
}
