/* sonae drill start SCENARIO [--public] [--areas CODE,...] | stop | status
 *
 * A drill plays a scenario (demo/scenarios/NAME.json, or a file) into a
 * live system: demo/replay.py serves the scenario's telegrams, all Status
 * 訓練, on a local feed, and a second sonae-collectd reads only that feed
 * ([jma] enabled and exercise, no other source) into the live store, where
 * they are counted apart from real telegrams (exercise rows; docs/sources/
 * jma.md).  The same collector reads the scenario's gauges, crisis gauges,
 * rain and camera stills from the replay as the drill's own sources
 * (drill-kawabou, drill-kriver, drill-amedas, drill-camera: sections the
 * replay writes, `exercise = true`): their stations are marked exercise
 * and named 【訓練】, so a drill never changes a real station or the real
 * levels.  The HQ's steps of the scenario are printed for the staff, who
 * issue the orders themselves, marked exercise.
 *
 * The drill is recorded in the store (store_drill_begin: table drills):
 * staff always see its data, marked 訓練; residents only when it is
 * --public, and only in its areas (public_drill_areas).
 *
 * `sonae drill stop` ends the replay and the drill collector and removes
 * the drill's data from the store (store_exercise_clear), its stations and
 * their images' files included.  The drill's state is kept in [data]
 * dir/drill/. */
#include "cli.h"
#include "config.h"
#include "store.h"
#include "store_city.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SONAE_DEMO_DIR
#define SONAE_DEMO_DIR "demo"
#endif

static void usage(void)
{
        fprintf(stderr,
                "usage: sonae [-c FILE] drill start SCENARIO [--public] [--areas CODE,...]\n"
                "       sonae [-c FILE] drill stop | status\n");
}

static const char *demo_dir(void)
{
        const char *e = getenv("SONAE_DEMO_DIR");
        return e && e[0] ? e : SONAE_DEMO_DIR;
}

static int free_port(void)
{
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int port = -EADDRNOTAVAIL;
        if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(s, (struct sockaddr *)&a, &len) == 0)
                port = ntohs(a.sin_port);
        close(s);
        return port;
}

struct drill_state {
        long replay_pid, collectd_pid;
        int port;
        char scenario[PATH_MAX];
        char areas[512];
        int public_;
        long started;
};

static int state_read(const char *path, struct drill_state *s)
{
        memset(s, 0, sizeof(*s));
        FILE *f = fopen(path, "r");
        if (!f)
                return -errno;
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq++ = '\0';
                if (strcmp(line, "replay_pid") == 0)
                        s->replay_pid = strtol(eq, NULL, 10);
                else if (strcmp(line, "collectd_pid") == 0)
                        s->collectd_pid = strtol(eq, NULL, 10);
                else if (strcmp(line, "port") == 0)
                        s->port = (int)strtol(eq, NULL, 10);
                else if (strcmp(line, "public") == 0)
                        s->public_ = (int)strtol(eq, NULL, 10);
                else if (strcmp(line, "started") == 0)
                        s->started = strtol(eq, NULL, 10);
                else if (strcmp(line, "scenario") == 0)
                        snprintf(s->scenario, sizeof(s->scenario), "%s", eq);
                else if (strcmp(line, "areas") == 0)
                        snprintf(s->areas, sizeof(s->areas), "%s", eq);
        }
        fclose(f);
        return 0;
}

/* Whether pid runs a program whose command line contains what (so a pid
 * reused by another program is never signalled). */
static bool runs(long pid, const char *what)
{
        if (pid <= 0)
                return false;
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        FILE *f = fopen(path, "rb");
        if (!f)
                return false;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
                if (buf[i] == '\0')
                        buf[i] = ' ';
        buf[n] = '\0';
        return strstr(buf, what) != NULL;
}

static void stop_pid(long pid, const char *what)
{
        if (!runs(pid, what))
                return;
        kill((pid_t)pid, SIGTERM);
        for (int i = 0; i < 100 && runs(pid, what); i++) {
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        if (runs(pid, what))
                kill((pid_t)pid, SIGKILL);
}

/* Waits (at most about ten seconds) for the replay to write the drill
 * sources' sections, once it serves. */
static int wait_file(const char *path, pid_t pid)
{
        for (int i = 0; i < 200; i++) {
                if (access(path, R_OK) == 0)
                        return 0;
                int status;
                if (waitpid(pid, &status, WNOHANG) != 0)
                        return -ECHILD; /* the replay ended (see its log) */
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return -ETIMEDOUT;
}

/* Copies the replay's sections of the drill's own sources into f. */
static int append_file(FILE *f, const char *path)
{
        FILE *in = fopen(path, "r");
        if (!in)
                return -errno;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
                fwrite(chunk, 1, n, f);
        int rc = ferror(in) ? -EIO : 0;
        fclose(in);
        return rc;
}

static int write_drill_conf(const char *path, const struct sonae_config *cfg, const char *store,
                            const char *data_dir, int port, const char *areas, const char *sources)
{
        FILE *f = fopen(path, "w");
        if (!f)
                return -errno;
        fprintf(f,
                "# Written by `sonae drill start`: the drill's own collector, reading only the\n"
                "# drill's local feed into the live store (訓練 telegrams, counted apart, and\n"
                "# the drill's own stations, marked exercise).\n"
                "[store]\nbackend = %s\n",
                cfg->store.backend);
        if (store[0])
                fprintf(f, "path = %s\n", store);
        if (cfg->store.dsn && cfg->store.dsn[0])
                fprintf(f, "dsn = %s\n", cfg->store.dsn);
        fprintf(f,
                "[log]\nlevel = warning\n[jma]\nenabled = true\nexercise = true\ndrill = true\n"
                "base_url = http://127.0.0.1:%d/jma/\nfeeds = extra\noffices = %s\n"
                "national = false\ninterval = 10\nareas = %s\n[data]\ndir = %s\n",
                port, cfg->jma.offices, areas, data_dir);
        int rc = append_file(f, sources);
        if (fclose(f) != 0 && rc == 0)
                rc = -errno;
        return rc;
}

static int drill_start(const struct sonae_config *cfg, const char *dir, const char *scenario,
                       const char *areas_arg, bool public_)
{
        char statefile[PATH_MAX + 16];
        snprintf(statefile, sizeof(statefile), "%s/state", dir);
        struct drill_state old;
        if (state_read(statefile, &old) == 0 &&
            (runs(old.replay_pid, "replay.py") || runs(old.collectd_pid, "sonae-collectd"))) {
                fprintf(stderr,
                        "sonae drill start: a drill is running (%s); `sonae drill stop` "
                        "first\n",
                        old.scenario);
                return 1;
        }
        if (!cfg->jma.exercise)
                fprintf(stderr,
                        "sonae drill: note: [jma] exercise is false in this config: the portal "
                        "shows the drill only with [jma] exercise = true (then SIGHUP "
                        "sonae-portald), to residents only with --public\n");
        char scen[PATH_MAX];
        if (access(scenario, R_OK) == 0)
                snprintf(scen, sizeof(scen), "%s", scenario);
        else
                snprintf(scen, sizeof(scen), "%s/scenarios/%s.json", demo_dir(), scenario);
        char scen_abs[PATH_MAX], replay[PATH_MAX + 16], store[PATH_MAX], data_dir[PATH_MAX];
        if (!realpath(scen, scen_abs)) {
                fprintf(stderr, "sonae drill start: no scenario %s (%s)\n", scenario, scen);
                return 1;
        }
        snprintf(replay, sizeof(replay), "%s/replay.py", demo_dir());
        if (access(replay, R_OK) < 0) {
                fprintf(stderr, "sonae drill start: %s not found (set SONAE_DEMO_DIR)\n", replay);
                return 1;
        }
        /* The drill's collector runs in dir: a SpatiaLite file by its full
         * path; a PostgreSQL store by its dsn alone (no file to find). */
        bool pg_store = strcmp(cfg->store.backend, "postgis") == 0;
        if (pg_store)
                snprintf(store, sizeof(store), "%s", cfg->store.path ? cfg->store.path : "");
        else if (!realpath(cfg->store.path, store)) {
                fprintf(stderr, "sonae drill start: store %s: %s\n", cfg->store.path,
                        strerror(errno));
                return 1;
        }
        if (!realpath(cfg->data.dir, data_dir)) {
                fprintf(stderr, "sonae drill start: [data] dir %s: %s\n", cfg->data.dir,
                        strerror(errno));
                return 1;
        }
        const char *areas = areas_arg ? areas_arg : cfg->jma.areas;
        if (!areas || !areas[0]) {
                fprintf(stderr, "sonae drill start: name the areas of the drill (--areas "
                                "CODE,..., or [jma] areas in the config)\n");
                return 2;
        }
        char collectd[4096];
        if (cli_sibling("sonae-collectd", collectd, sizeof(collectd)) < 0) {
                fprintf(stderr, "sonae drill start: sonae-collectd not found beside sonae\n");
                return 1;
        }
        int rc = cli_mkdirs(dir, 0750);
        int port = rc < 0 ? rc : free_port();
        if (port < 0) {
                fprintf(stderr, "sonae drill start: %s: %s\n", dir, strerror(-port));
                return 1;
        }
        char conf[PATH_MAX + 32], replay_dir[PATH_MAX + 32], log1[PATH_MAX + 32],
            log2[PATH_MAX + 32], speed[32], portstr[16], sources[PATH_MAX + 32], still[4096];
        snprintf(conf, sizeof(conf), "%s/drill.conf", dir);
        snprintf(sources, sizeof(sources), "%s/sources.ini", dir);
        unlink(sources);
        /* Without the still drawer the drill has no camera; the rest
         * plays. */
        if (cli_sibling("sonae-demo-still", still, sizeof(still)) < 0)
                still[0] = '\0';
        snprintf(replay_dir, sizeof(replay_dir), "%s/replay", dir);
        snprintf(log1, sizeof(log1), "%s/replay.log", dir);
        snprintf(log2, sizeof(log2), "%s/collectd.log", dir);
        snprintf(speed, sizeof(speed), "%g", cfg->demo.speed);
        snprintf(portstr, sizeof(portstr), "%d", port);
        char *rargv[] = {"python3",     "-u",
                         replay,        "--scenario",
                         scen_abs,      "--port",
                         portstr,       "--speed",
                         speed,         "--dir",
                         replay_dir,    "--areas",
                         (char *)areas, "--drill-sources",
                         sources,       still[0] ? "--still" : NULL,
                         still,         NULL};
        pid_t rp = cli_spawn(rargv, log1, true);
        rc = rp > 0 ? wait_file(sources, rp) : -ECHILD;
        if (rc == 0)
                rc = write_drill_conf(conf, cfg, store, data_dir, port, areas, sources);
        if (rc < 0) {
                fprintf(stderr, "sonae drill start: the drill's sources (%s, %s): %s\n", conf, log1,
                        strerror(-rc));
                if (rp > 0)
                        kill(rp, SIGTERM);
                return 1;
        }
        char *cargv[] = {collectd, "-c", conf, NULL};
        pid_t cp = cli_spawn(cargv, log2, true);
        if (rp < 0 || cp < 0) {
                fprintf(stderr, "sonae drill start: could not start the replay or the collector\n");
                if (rp > 0)
                        kill(rp, SIGTERM);
                return 1;
        }
        /* The drill's row: residents see its data only when it is --public,
         * and only in its areas (the store's public_drill_areas). */
        struct store *st = NULL;
        int64_t drill_id = 0;
        rc = store_open_config(cfg, &st);
        if (rc == 0)
                rc = store_drill_begin(st, scen_abs, public_, areas, &drill_id);
        store_close(st);
        if (rc < 0) {
                fprintf(stderr, "sonae drill start: store: %s\n", store_strerror(rc));
                kill(rp, SIGTERM);
                kill(cp, SIGTERM);
                return 1;
        }
        FILE *f = fopen(statefile, "w");
        if (!f) {
                fprintf(stderr, "sonae drill start: %s: %s\n", statefile, strerror(errno));
                kill(rp, SIGTERM);
                kill(cp, SIGTERM);
                return 1;
        }
        fprintf(f,
                "replay_pid=%ld\ncollectd_pid=%ld\nport=%d\nscenario=%s\nareas=%s\npublic=%d\n"
                "started=%ld\n",
                (long)rp, (long)cp, port, scen_abs, areas, public_ ? 1 : 0, (long)time(NULL));
        fclose(f);
        printf("訓練を開始しました (drill started): %s\n  areas %s, speed %s, feed "
               "http://127.0.0.1:%d/jma/\n  telegrams are 訓練 (exercise) and counted apart from "
               "real ones; the drill's gauges, rain%s are its own stations, named 【訓練】;\n"
               "  issue the scenario's orders as exercise orders.\n"
               "  the scenario's steps: %s\n  stop and remove the drill's data: sonae drill stop\n",
               scen_abs, areas, speed, port, still[0] ? " and camera" : "", log1);
        if (public_)
                printf("  --public: residents in these areas see the drill, marked 訓練, on the "
                       "residents' page and the public API.\n");
        else
                printf("  not public: only staff see the drill; residents see nothing of it.\n");
        return 0;
}

/* Deletes the removed images' files under [data] dir (paths the store
 * keeps relative to it; anything else is left alone).  Returns how many
 * could not be deleted (a file already gone counts as deleted). */
static size_t remove_files(const char *data_dir, const struct store_exercise_removed *r)
{
        size_t left = 0;
        for (size_t i = 0; i < r->n_files; i++) {
                const char *rel = r->files[i];
                char path[PATH_MAX];
                if (!rel || !rel[0] || rel[0] == '/' || strstr(rel, "..") ||
                    snprintf(path, sizeof(path), "%s/%s", data_dir, rel) >= (int)sizeof(path) ||
                    (unlink(path) < 0 && errno != ENOENT))
                        left++;
        }
        return left;
}

static int drill_stop(const struct sonae_config *cfg, const char *dir)
{
        char statefile[PATH_MAX + 16];
        snprintf(statefile, sizeof(statefile), "%s/state", dir);
        struct drill_state s;
        bool had = state_read(statefile, &s) == 0;
        if (had) {
                stop_pid(s.replay_pid, "replay.py");
                stop_pid(s.collectd_pid, "sonae-collectd");
        }
        struct store *st = NULL;
        int rc = store_open_config(cfg, &st);
        struct store_exercise_removed r = {0};
        if (rc == 0)
                rc = store_exercise_clear(st, &r);
        store_close(st);
        if (rc < 0) {
                fprintf(stderr, "sonae drill stop: store: %s (the drill's processes are stopped)\n",
                        store_strerror(rc));
                store_exercise_removed_free(&r);
                return 1;
        }
        size_t left = remove_files(cfg->data.dir, &r);
        if (had)
                unlink(statefile);
        printf("訓練を終了しました (drill stopped)%s: removed %lld alerts, %lld area states, %lld "
               "telegrams, %lld orders, %lld notices marked exercise; the drill's %lld stations "
               "with %lld observations and %lld images\n",
               had ? "" : " (no drill was running)", (long long)r.alerts, (long long)r.areas,
               (long long)r.telegrams, (long long)r.orders, (long long)r.notices,
               (long long)r.stations, (long long)r.observations, (long long)r.images);
        if (left)
                fprintf(stderr, "sonae drill stop: %zu image files could not be removed under %s\n",
                        left, cfg->data.dir);
        store_exercise_removed_free(&r);
        return 0;
}

static int drill_status(const char *dir)
{
        char statefile[PATH_MAX + 16];
        snprintf(statefile, sizeof(statefile), "%s/state", dir);
        struct drill_state s;
        if (state_read(statefile, &s) < 0) {
                printf("no drill\n");
                return 0;
        }
        bool up = runs(s.replay_pid, "replay.py") && runs(s.collectd_pid, "sonae-collectd");
        printf("drill %s: %s, areas %s, feed port %d%s\n", up ? "running" : "stopped", s.scenario,
               s.areas, s.port, s.public_ ? ", public" : "");
        return up ? 0 : 1;
}

int cmd_drill(int argc, char **argv, const struct cli_common *common)
{
        if (argc < 2) {
                usage();
                return 2;
        }
        const char *sub = argv[1], *scenario = NULL, *areas = NULL;
        bool public_ = false;
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--public") == 0)
                        public_ = true;
                else if (strcmp(argv[i], "--areas") == 0 && i + 1 < argc)
                        areas = argv[++i];
                else if (!scenario && argv[i][0] != '-')
                        scenario = argv[i];
                else {
                        usage();
                        return 2;
                }
        }
        bool start = strcmp(sub, "start") == 0;
        if ((start && !scenario) || (!start && (scenario || areas || public_))) {
                usage();
                return 2;
        }
        struct sonae_config *cfg = NULL;
        if (daemon_load_config(common->config, NULL, &cfg) < 0)
                return 1;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/drill", cfg->data.dir);
        int ret;
        if (start)
                ret = drill_start(cfg, dir, scenario, areas, public_);
        else if (strcmp(sub, "stop") == 0)
                ret = drill_stop(cfg, dir);
        else if (strcmp(sub, "status") == 0)
                ret = drill_status(dir);
        else {
                usage();
                ret = 2;
        }
        conf_free(cfg);
        return ret;
}
