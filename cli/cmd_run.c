/* sonae run [--demo]: runs Sonae on this machine.
 *
 * `sonae run -c FILE` is the real deployment without systemd: it starts
 * sonae-portald, sonae-collectd and sonae-ingestd on the configured store
 * and sources (no replay), passes SIGHUP on to them (reload), stops them
 * all on SIGINT or SIGTERM, and stops the others and exits 1 when one of
 * them ends by itself, so that whatever started `sonae run` notices.  With
 * systemd, run the three daemons as their own units instead
 * (docs/deploy.md).
 *
 * `sonae run --demo` runs the demo of the source tree (run.sh): the
 * fictional city's heavy-rain night, with everything it needs. */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SONAE_RUN_SH
#define SONAE_RUN_SH "run.sh"
#endif

static const char *const daemons[] = {"sonae-portald", "sonae-collectd", "sonae-ingestd"};
#define N_DAEMONS (sizeof(daemons) / sizeof(daemons[0]))

static void signal_all(const pid_t *pids, int sig)
{
        for (size_t i = 0; i < N_DAEMONS; i++)
                if (pids[i] > 0)
                        kill(pids[i], sig);
}

static int supervise(const char *config)
{
        char paths[N_DAEMONS][4096];
        for (size_t i = 0; i < N_DAEMONS; i++) {
                if (cli_sibling(daemons[i], paths[i], sizeof(paths[i])) < 0) {
                        fprintf(stderr, "sonae run: %s not found beside sonae\n", daemons[i]);
                        return 1;
                }
        }
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        pid_t pids[N_DAEMONS] = {0};
        for (size_t i = 0; i < N_DAEMONS; i++) {
                char *argv[] = {paths[i], "-c", (char *)config, NULL};
                pids[i] = cli_spawn(argv, NULL, false);
                if (pids[i] < 0) {
                        fprintf(stderr, "sonae run: cannot start %s: %s\n", daemons[i],
                                strerror((int)-pids[i]));
                        pids[i] = 0;
                        signal_all(pids, SIGTERM);
                        while (wait(NULL) > 0)
                                ;
                        return 1;
                }
        }
        fprintf(stderr, "sonae run: started %s, %s and %s (%s)\n", daemons[0], daemons[1],
                daemons[2], config);
        int ret = 0;
        bool stopping = false;
        size_t alive = N_DAEMONS;
        while (alive > 0) {
                siginfo_t si;
                if (sigwaitinfo(&set, &si) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (si.si_signo == SIGHUP) {
                        signal_all(pids, SIGHUP);
                        continue;
                }
                if (si.si_signo == SIGINT || si.si_signo == SIGTERM) {
                        stopping = true;
                        signal_all(pids, SIGTERM);
                        continue;
                }
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                        for (size_t i = 0; i < N_DAEMONS; i++) {
                                if (pids[i] != p)
                                        continue;
                                pids[i] = 0;
                                alive--;
                                /* A daemon still starting up, before it blocks
                                 * its signals, ends by the SIGTERM itself. */
                                bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                                             (stopping && WIFSIGNALED(status) &&
                                              WTERMSIG(status) == SIGTERM);
                                if (!stopping) {
                                        fprintf(stderr,
                                                "sonae run: %s ended by itself (%s %d); stopping "
                                                "the others\n",
                                                daemons[i], WIFEXITED(status) ? "exit" : "signal",
                                                WIFEXITED(status) ? WEXITSTATUS(status)
                                                                  : WTERMSIG(status));
                                        stopping = true;
                                        ret = 1;
                                        signal_all(pids, SIGTERM);
                                } else if (!clean) {
                                        ret = 1;
                                }
                        }
                }
        }
        fprintf(stderr, "sonae run: stopped\n");
        return ret;
}

int cmd_run(int argc, char **argv, const struct cli_common *common)
{
        bool demo = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--demo") == 0) {
                        demo = true;
                } else {
                        fprintf(stderr, "usage: sonae [-c FILE] run [--demo]\n");
                        return 2;
                }
        }
        if (demo) {
                if (access(SONAE_RUN_SH, R_OK) < 0) {
                        fprintf(stderr,
                                "sonae run --demo: %s not found: the demo runs from "
                                "Sonae's source tree (./run.sh)\n",
                                SONAE_RUN_SH);
                        return 1;
                }
                execl("/bin/bash", "bash", SONAE_RUN_SH, (char *)NULL);
                fprintf(stderr, "sonae run --demo: %s\n", strerror(errno));
                return 1;
        }
        struct sonae_config *cfg = NULL;
        if (daemon_load_config(common->config, NULL, &cfg) < 0)
                return 1;
        conf_free(cfg);
        return supervise(common->config);
}
