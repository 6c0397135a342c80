/* Drives the notifier engine against a real store (the config's [store]:
 * SpatiaLite, or PostGIS), for test_notify.py and test_notify_claim.py.
 * Reads commands on stdin, one a line, answers one line each on stdout:
 *   station EXTID NAME INTERVAL [exercise]  gauge with thresholds 1..5 m
 *                                   (a drill's, with "exercise") -> "id N"
 *   obs ID T VALUE                  water level observation at T
 *   refresh T                       store_stations_refresh_state at T
 *   rule CHANNEL TARGET MIN STAFF AREA|- TYPES_JSON   -> "id N"
 *   order LEVEL AREA|- EXERCISE [DISTRICT]   store_order_issue (flood)
 *   health SOURCE STATE             a source.health event (as collectd writes)
 *   step T                          scan and deliver at T -> "queued Q sent S failed F more M"
 *   watchdog SUBJECT BODY           staff message without the store -> "reached N"
 *   watch T                         one watchdog round at T -> "sent N"
 * Usage: notify-drive CONFIG (the store is the config's [store]). */
#include "notify.h"
#include "runner.h"

#include "config.h"
#include "store.h"
#include "store_city.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t now_s;
static int64_t fake_now(void)
{
        return now_s * 1000;
}

static char *field(char **p)
{
        char *s = *p;
        while (*s == ' ')
                s++;
        if (!*s)
                return NULL;
        char *e = strchr(s, ' ');
        if (e) {
                *e = 0;
                *p = e + 1;
        } else {
                *p = s + strlen(s);
        }
        return s;
}

static long long num(char **p)
{
        char *s = field(p);
        return s ? strtoll(s, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: notify-drive CONFIG\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        now_s = time_now_ms() / 1000;
        time_set_override(fake_now);
        struct conf_diag diag;
        conf_diag_init(&diag);
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct notify_engine *e = NULL;
        int rc = conf_load(argv[1], &cfg, &diag);
        if (rc == 0) {
                /* A short busy timeout: the test locks the store on purpose. */
                struct store_options so = {.backend = cfg->store.backend,
                                           .path = cfg->store.path,
                                           .dsn = cfg->store.dsn,
                                           .busy_timeout_ms = 500};
                rc = store_open(&so, &st);
        }
        if (rc == 0) {
                struct notify_engine_options o = {.hold_down_s = 600, .backoff_s = 60};
                rc = notify_engine_create(cfg, &o, st, &diag, &e);
        }
        if (rc < 0) {
                fprintf(stderr, "%s", diag.text.data ? diag.text.data : "");
                fprintf(stderr, "notify-drive: setup failed: %s\n", strerror(-rc));
                goto out;
        }
        char line[4096];
        struct notify_watchdog wd = {0};
        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\r\n")] = 0;
                char *p = line;
                char *cmd = field(&p);
                int r = 0;
                if (!cmd)
                        continue;
                if (strcmp(cmd, "station") == 0) {
                        struct store_station s = {
                            .kind = "gauge", .source = "test", .lon = 139.83, .lat = 38.73};
                        s.external_id = field(&p);
                        s.name = field(&p);
                        s.expected_interval_s = num(&p);
                        char *mark = field(&p);
                        s.exercise = mark && strcmp(mark, "exercise") == 0;
                        level_thresholds_clear(&s.thr);
                        s.thr.standby = 1, s.thr.caution = 2, s.thr.evacuation = 3;
                        s.thr.danger = 4, s.thr.flood = 5;
                        int64_t id = 0;
                        r = store_station_upsert(st, &s, &id);
                        if (r == 0)
                                printf("id %lld\n", (long long)id);
                } else if (strcmp(cmd, "obs") == 0) {
                        struct store_obs o = {.quantity = "water_level_m"};
                        o.station_id = num(&p);
                        o.observed_at = num(&p);
                        char *v = field(&p);
                        o.value = v ? strtod(v, NULL) : NAN;
                        now_s = o.observed_at;
                        r = store_observations_add(st, &o, 1, NULL);
                        if (r == 0)
                                printf("ok\n");
                } else if (strcmp(cmd, "refresh") == 0) {
                        now_s = num(&p);
                        size_t n = 0;
                        r = store_stations_refresh_state(st, now_s, &n);
                        if (r == 0)
                                printf("changed %zu\n", n);
                } else if (strcmp(cmd, "rule") == 0) {
                        struct store_notify_rule ru = {.enabled = true};
                        ru.channel = field(&p);
                        ru.target = field(&p);
                        ru.min_level = (int)num(&p);
                        ru.staff = num(&p) != 0;
                        char *a = field(&p);
                        ru.area_code = a && strcmp(a, "-") != 0 ? a : NULL;
                        ru.event_types = *p ? p : NULL;
                        int64_t id = 0;
                        r = store_notify_rule_add(st, &ru, &id);
                        if (r == 0)
                                printf("id %lld\n", (long long)id);
                } else if (strcmp(cmd, "order") == 0) {
                        struct store_order o = {.hazard = "flood"};
                        o.level = (int)num(&p);
                        o.area_code = field(&p);
                        if (o.area_code && strcmp(o.area_code, "-") == 0)
                                o.area_code = NULL;
                        o.exercise = num(&p) != 0;
                        o.district_id = num(&p);
                        o.issued_at = now_s;
                        int64_t id = 0;
                        r = store_order_issue(st, &o, &id);
                        if (r == 0)
                                printf("id %lld\n", (long long)id);
                } else if (strcmp(cmd, "notice") == 0) {
                        /* notice TITLE: publishes one; withdraw ID: ends it. */
                        struct store_notice n = {.category = "info", .is_public = true};
                        n.title_ja = field(&p);
                        n.text_ja = n.title_ja;
                        n.valid_from = now_s;
                        int64_t id = 0;
                        r = store_notice_publish(st, &n, &id);
                        if (r == 0)
                                printf("id %lld\n", (long long)id);
                } else if (strcmp(cmd, "withdraw") == 0) {
                        r = store_notice_withdraw(st, num(&p), now_s);
                        if (r == 0)
                                printf("ok\n");
                } else if (strcmp(cmd, "health") == 0) {
                        char *src = field(&p), *state = field(&p), subj[128], data[256];
                        snprintf(subj, sizeof(subj), "sources/%s", src ? src : "");
                        snprintf(data, sizeof(data), "{\"source\":\"%s\",\"state\":\"%s\"}",
                                 src ? src : "", state ? state : "");
                        r = store_event_emit(st, "source.health", subj, 0, false, false, data);
                        if (r == 0)
                                printf("ok\n");
                } else if (strcmp(cmd, "step") == 0) {
                        now_s = num(&p);
                        unsigned q = 0, s = 0, f = 0;
                        r = notify_engine_scan(e, st, now_s, &q);
                        if (r == 0)
                                r = notify_engine_deliver(e, st, now_s, &s, &f);
                        if (r == 0)
                                printf("queued %u sent %u failed %u more %d\n", q, s, f,
                                       notify_engine_more_due(e) ? 1 : 0);
                } else if (strcmp(cmd, "watchdog") == 0) {
                        char *subj = field(&p);
                        r = notify_engine_staff_direct(e, subj ? subj : "", p);
                        if (r >= 0)
                                printf("reached %d\n", r);
                } else if (strcmp(cmd, "watch") == 0) {
                        now_s = num(&p);
                        if (!wd.e)
                                notify_watchdog_init(&wd, e);
                        printf("sent %d\n", notify_watchdog_check(&wd, st, now_s));
                } else {
                        r = -EINVAL;
                }
                if (r < 0)
                        printf("error %s\n", strerror(-r));
        }
out:
        notify_engine_free(e);
        store_close(st);
        conf_free(cfg);
        conf_diag_free(&diag);
        return rc < 0 ? 1 : 0;
}
