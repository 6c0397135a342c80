/* sonae-node-sim: the node's firmware (app/node.c, the core and the range
 * driver) as a Linux process.
 *
 *   sonae-node-sim --provision FILE --scenario FILE --state DIR [--broker HOST:PORT]
 *
 * FILE is the provisioning file `sonae device add` writes ("-": the same
 * lines as "prov key=value" console commands on standard input, ended by
 * "prov end"); the scenario gives the world (scenario.h); DIR holds the
 * NVM file, so a restarted process is the same node after a reset.  Every
 * interval is the node's own, from its settings: nothing here speeds up
 * a clock.  Logs one line per event on standard error. */
#include "hal.h"
#include "host.h"
#include "node.h"
#include "prov.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct node node;

static void on_signal(int sig)
{
        (void)sig;
        host_stop = 1;
}

static void usage(FILE *f)
{
        fputs("usage: sonae-node-sim --provision FILE --scenario FILE --state DIR "
              "[--broker HOST:PORT]\n",
              f);
}

static int load_prov(struct node_prov *p, const char *path)
{
        char line[512];
        unsigned lineno = 0;
        int console = strcmp(path, "-") == 0;
        FILE *f = console ? stdin : fopen(path, "r");
        if (!f) {
                fprintf(stderr, "sonae-node-sim: %s: %s\n", path, strerror(errno));
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                size_t len = strlen(line);
                int rc = console ? node_prov_console(p, line, len) : node_prov_line(p, line, len);
                lineno++;
                if (rc == NODE_PROV_END)
                        break;
                if (rc == -ENOENT) {
                        fprintf(stderr, "sonae-node-sim: %s:%u: unknown key ignored\n", path,
                                lineno);
                } else if (rc < 0) {
                        fprintf(stderr, "sonae-node-sim: %s:%u: invalid line\n", path, lineno);
                        if (!console)
                                fclose(f);
                        return -1;
                }
        }
        if (!console)
                fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        const char *prov_path = NULL, *sc_path = NULL, *state = NULL, *broker = NULL, *why;
        static struct node_prov prov;
        char err[512], host[256];
        unsigned mode;
        uint32_t sessions = 0, failed = 0, seq;
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(a, "--version") == 0) {
                        printf("sonae-node-sim %s\n", SONAE_FW_VERSION);
                        return 0;
                }
                if (!v) {
                        usage(stderr);
                        return 2;
                }
                if (strcmp(a, "--provision") == 0)
                        prov_path = v;
                else if (strcmp(a, "--scenario") == 0)
                        sc_path = v;
                else if (strcmp(a, "--state") == 0)
                        state = v;
                else if (strcmp(a, "--broker") == 0)
                        broker = v;
                else {
                        usage(stderr);
                        return 2;
                }
                i++;
        }
        if (!prov_path || !sc_path || !state) {
                usage(stderr);
                return 2;
        }
        if (scenario_load(&host_sc, sc_path, err, sizeof(err)) < 0) {
                fprintf(stderr, "sonae-node-sim: %s\n", err);
                return 2;
        }
        /* The scenario's settings first: the provisioning file's own lines
         * override them. */
        node_prov_init(&prov);
        for (i = 0; i < (int)host_sc.n_settings; i++) {
                static const char *const keys[] = {
                    "measure_s=", "heartbeat_s=", "flood_s=", "flood_min_s=", "start_level_m="};
                const char *l = host_sc.settings[i];
                unsigned k, known = 0;
                for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                        known |= strncmp(l, keys[k], strlen(keys[k])) == 0;
                if (!known || node_prov_line(&prov, l, strlen(l)) != NODE_PROV_OK) {
                        fprintf(stderr, "sonae-node-sim: %s: settings %s: not a setting\n", sc_path,
                                l);
                        return 2;
                }
        }
        if (load_prov(&prov, prov_path) < 0)
                return 2;
        if (node_prov_check(&prov, &why) < 0) {
                fprintf(stderr, "sonae-node-sim: %s: missing or wrong: %s\n", prov_path, why);
                return 2;
        }
        snprintf(host, sizeof(host), "%s", prov.host);
        host_modem_target(prov.host, prov.port);
        if (broker) {
                const char *c = strrchr(broker, ':');
                long port = c ? strtol(c + 1, NULL, 10) : 0;
                if (!c || port < 1 || port > 65535 || (size_t)(c - broker) >= sizeof(host)) {
                        fprintf(stderr, "sonae-node-sim: --broker wants HOST:PORT\n");
                        return 2;
                }
                memcpy(host, broker, (size_t)(c - broker));
                host[c - broker] = '\0';
                host_modem_target(host, (uint16_t)port);
        }
        if (prov.mount_mm)
                host_mount_mm = prov.mount_mm;
        i = host_state_open(state);
        if (i < 0) {
                fprintf(stderr, "sonae-node-sim: state %s: %s\n", state, strerror(-i));
                return 2;
        }
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);
        if (node_init(&node, &prov) < 0) {
                fprintf(stderr, "sonae-node-sim: NVM unusable\n");
                return 2;
        }
        fprintf(stderr,
                "sonae-node-sim: %s epoch %u, %u queued, measure %us, heartbeat %us, flood %us, "
                "story x%g\n",
                prov.device, (unsigned)node.q.epoch, (unsigned)fwq_unsent(&node.q),
                (unsigned)node.settings.measure_s, (unsigned)node.settings.heartbeat_s,
                (unsigned)node.settings.flood_s, host_sc.scale_milli / 1000.0);
        mode = node.report.mode;
        seq = node.q.seq_next;
        /* node_run's loop, with a log line for what each step did. */
        while (!host_stop) {
                int64_t now = (int64_t)(hal_time_ms() / 1000);
                uint32_t in = node_step(&node, now);
                uint64_t wake;
                /* A line per reading queued (already in NVM when printed):
                 * the reliability tests compare these with the store. */
                for (; seq != node.q.seq_next; seq++)
                        fprintf(stderr, "sonae-node-sim: queued epoch %u seq %u\n",
                                (unsigned)node.q.epoch, (unsigned)seq);
                if (node.report.mode != mode) {
                        mode = node.report.mode;
                        seq = node.q.seq_next;
                        fprintf(stderr, "sonae-node-sim: mode %s at story %llds\n",
                                mode == FW_MODE_FLOOD ? "flood" : "normal",
                                (long long)host_story_s());
                }
                if (node.sessions != sessions) {
                        int ok = node.sessions_failed == failed;
                        fprintf(stderr,
                                "sonae-node-sim: session %s, %u queued, %u downlinks rejected, "
                                "measure %us, story %llds\n",
                                ok ? "ok" : "failed", (unsigned)fwq_unsent(&node.q),
                                (unsigned)node.downlinks_rejected,
                                (unsigned)node.settings.measure_s, (long long)host_story_s());
                        sessions = node.sessions;
                        failed = node.sessions_failed;
                }
                fflush(stderr);
                wake = hal_time_ms() + (uint64_t)in * 1000u;
                while (!host_stop && hal_time_ms() < wake)
                        hal_sleep_until(wake);
        }
        fprintf(stderr, "sonae-node-sim: stopped, %u queued\n", (unsigned)fwq_unsent(&node.q));
        return 0;
}
