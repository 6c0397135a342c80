/* The notifier's thread and the watchdog (runner.h). */
#include "runner.h"

#include "heartbeat.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUND_S 10
#define WATCH_S 60

static int tell(struct notify_watchdog *w, const char *subject, const char *body)
{
        int n = notify_engine_staff_direct(w->e, subject, body);
        if (n < 0)
                log_err("notify: watchdog could not reach any staff channel: %s", subject);
        return n > 0 ? n : 0;
}

void notify_watchdog_init(struct notify_watchdog *w, struct notify_engine *e)
{
        memset(w, 0, sizeof(*w));
        w->e = e;
        w->silence_s = notify_engine_watchdog_silence_s(e);
        w->n_daemons = notify_engine_watchdog_daemons(e, w->daemons, WATCHDOG_MAX_DAEMONS);
}

/* Whether each daemon still writes its heartbeat file; no store needed. */
static int check_daemons(struct notify_watchdog *w)
{
        int sent = 0;
        const char *dir = notify_engine_data_dir(w->e);
        for (size_t i = 0; i < w->n_daemons; i++) {
                const char *name = w->daemons[i];
                enum heartbeat_state hs = heartbeat_check(dir, name, 6 * HEARTBEAT_PERIOD_S);
                char subject[96], body[512];
                if (hs != HEARTBEAT_ALIVE && !w->daemon_alarm[i]) {
                        w->daemon_alarm[i] = true;
                        log_err("notify: watchdog: %s stopped (%s)", name,
                                hs == HEARTBEAT_DEAD    ? "its process is gone"
                                : hs == HEARTBEAT_STALE ? "no heartbeat for a minute"
                                                        : "no heartbeat file");
                        snprintf(subject, sizeof(subject), "【監視】%s 停止", name);
                        snprintf(body, sizeof(body),
                                 "%s が%s。観測・取得が止まっている可能性があります。"
                                 "サーバーで systemctl status %s を確認し、再起動してください。\n",
                                 name, heartbeat_state_ja(hs), name);
                        sent += tell(w, subject, body);
                } else if (hs == HEARTBEAT_ALIVE && w->daemon_alarm[i]) {
                        w->daemon_alarm[i] = false;
                        log_info("notify: watchdog: %s runs again", name);
                        snprintf(subject, sizeof(subject), "【監視】%s 再開", name);
                        snprintf(body, sizeof(body), "%s が再び動いています。\n", name);
                        sent += tell(w, subject, body);
                }
        }
        return sent;
}

int notify_watchdog_check(struct notify_watchdog *w, struct store *st, int64_t now)
{
        int sent = check_daemons(w);
        bool writable = false;
        if (st && store_begin(st) == 0)
                writable = store_rollback(st) == 0;
        if (!writable && !w->store_alarm) {
                w->store_alarm = true;
                log_err("notify: watchdog: the store cannot be written");
                sent += tell(w, "【監視】データベースに書き込めません",
                             "Sonae のデータベースに書き込めません。観測値・発令の記録が止まって"
                             "います。ディスク容量とファイルの状態を確認してください。\n");
        } else if (writable && w->store_alarm) {
                w->store_alarm = false;
                log_info("notify: watchdog: the store is writable again");
                sent += tell(w, "【監視】データベース復旧",
                             "データベースへの書き込みが復旧しました。\n");
        }
        if (w->silence_s <= 0 || !st)
                return sent;
        struct store_latest_list l = {0};
        if (store_latest_all(st, now, &l) == 0 && l.n > 0) {
                int64_t newest = 0;
                /* A drill's stations report from the drill's replay: they
                 * must never hide real stations' silence. */
                for (size_t i = 0; i < l.n; i++)
                        if (!l.v[i].exercise && l.v[i].last_observed_at > newest)
                                newest = l.v[i].last_observed_at;
                bool silent = newest > 0 && now - newest > w->silence_s;
                char body[256];
                if (silent && !w->silence_alarm) {
                        w->silence_alarm = true;
                        snprintf(body, sizeof(body),
                                 "%lld 分以上、どの観測所からもデータが届いていません。"
                                 "収集デーモンと回線を確認してください。\n",
                                 (long long)(w->silence_s / 60));
                        log_err("notify: watchdog: no station has reported for %lld s",
                                (long long)(now - newest));
                        sent += tell(w, "【監視】データ更新停止", body);
                } else if (!silent && w->silence_alarm) {
                        w->silence_alarm = false;
                        sent +=
                            tell(w, "【監視】データ更新再開", "観測データが再び届いています。\n");
                }
        }
        store_latest_list_free(&l);
        return sent;
}

struct notify_runner {
        const struct sonae_config *cfg;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool stop;
};

static void *run(void *arg)
{
        struct notify_runner *r = arg;
        struct store *st = NULL;
        struct notify_engine *e = NULL;
        struct conf_diag diag;
        conf_diag_init(&diag);
        if (notify_engine_create(r->cfg, NULL, NULL, &diag, &e) < 0) {
                log_err("notify: channels not usable: %s", diag.text.data ? diag.text.data : "");
                goto out;
        }
        struct notify_watchdog w;
        notify_watchdog_init(&w, e);
        struct log_complain lc = {0};
        int64_t last_watch = 0;
        bool started = false;
        for (;;) {
                int64_t now = time_now_ms() / 1000;
                if (!st && store_open_config(r->cfg, &st) < 0)
                        st = NULL;
                if (st && !started) {
                        /* Start after the newest event: no replay of history. */
                        struct notify_engine *fresh = NULL;
                        if (notify_engine_create(r->cfg, NULL, st, &diag, &fresh) == 0) {
                                notify_engine_free(e);
                                e = fresh;
                                w.e = e;
                                started = true;
                                log_info("notify: notifier running, from the newest event on");
                        }
                }
                bool more = false;
                if (st && started) {
                        int rc = notify_engine_scan(e, st, now, NULL);
                        if (rc == 0)
                                rc = notify_engine_deliver(e, st, now, NULL, NULL);
                        if (rc < 0)
                                log_complain(&lc, LOG_LVL_WARN, "notify: round failed: %s",
                                             store_strerror(rc));
                        else
                                log_recovered(&lc, "notify: rounds work again");
                        /* Thousands of subscriptions: go on without waiting. */
                        more = rc == 0 && notify_engine_more_due(e);
                }
                if (now - last_watch >= WATCH_S) {
                        notify_watchdog_check(&w, st, now);
                        last_watch = now;
                }
                pthread_mutex_lock(&r->mu);
                if (!r->stop && !more) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_sec += ROUND_S;
                        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
                }
                bool stop = r->stop;
                pthread_mutex_unlock(&r->mu);
                if (stop)
                        break;
        }
out:
        notify_engine_free(e);
        store_close(st);
        conf_diag_free(&diag);
        return NULL;
}

int notify_runner_start(const struct sonae_config *cfg, struct notify_runner **out)
{
        *out = NULL;
        if (cfg->n_notifiers == 0)
                return 0;
        struct notify_runner *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->cfg = cfg;
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        if (pthread_create(&r->thread, NULL, run, r) != 0) {
                pthread_mutex_destroy(&r->mu);
                pthread_cond_destroy(&r->cv);
                free(r);
                return -EAGAIN;
        }
        *out = r;
        return 0;
}

void notify_runner_stop(struct notify_runner *r)
{
        if (!r)
                return;
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
}
