#include "daemon.h"
#include "heartbeat.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SONAE_VERSION
#define SONAE_VERSION "0.0.0"
#endif

int cli_common_parse(int argc, char **argv, const char *prog, struct cli_common *out)
{
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
        };
        memset(out, 0, sizeof(*out));
        out->config = getenv("SONAE_CONFIG");
        if (!out->config || !out->config[0])
                out->config = SONAE_DEFAULT_CONFIG;
        optind = 1;
        opterr = 0;
        int c;
        /* "+" stops at the first verb so subcommands keep their own flags. */
        while ((c = getopt_long(argc, argv, "+c:nh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        out->config = optarg;
                        break;
                case 'n':
                        out->check_only = 1;
                        break;
                case 'h':
                        out->help = 1;
                        break;
                case 'V':
                        out->version = 1;
                        break;
                default:
                        fprintf(stderr, "%s: unknown or incomplete option '%s'; see %s -h\n", prog,
                                argv[optind - 1], prog);
                        return -EINVAL;
                }
        }
        out->first_arg = optind;
        return 0;
}

int daemon_load_config(const char *path, const struct daemon_ops *ops, struct sonae_config **out)
{
        struct conf_diag diag;
        conf_diag_init(&diag);
        int rc = conf_load(path, out, &diag);
        if (rc == 0 && ops && ops->check && ops->check(*out, &diag) < 0)
                rc = -EINVAL;
        if (diag.text.len)
                fputs(diag.text.data, stderr);
        if (rc < 0 && *out) {
                conf_free(*out);
                *out = NULL;
        }
        conf_diag_free(&diag);
        return rc;
}

void daemon_notify(const char *state)
{
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || (path[0] != '/' && path[0] != '@'))
                return;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t l = strlen(path);
        if (l >= sizeof(sa.sun_path))
                return;
        memcpy(sa.sun_path, path, l);
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        (void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l));
        close(fd);
}

static void usage(const struct daemon_ops *ops)
{
        printf("Usage: %s [-c FILE] [-n] [-h] [--version]\n"
               "%s\n\n"
               "  -c, --config FILE  configuration file (default %s)\n"
               "  -n                 check the configuration and exit\n"
               "  -h, --help         this help\n"
               "      --version      print the version\n",
               ops->name, ops->summary, SONAE_DEFAULT_CONFIG);
}

static void apply_log_level(const struct sonae_config *cfg)
{
        enum log_level lvl;
        if (log_level_parse(cfg->log.level, &lvl) == 0)
                log_set_level(lvl);
}

int daemon_main(int argc, char **argv, const struct daemon_ops *ops, void *state)
{
        struct cli_common cli;
        log_init(ops->name, LOG_LVL_INFO);
        if (cli_common_parse(argc, argv, ops->name, &cli) < 0)
                return 2;
        if (cli.help) {
                usage(ops);
                return 0;
        }
        if (cli.version) {
                printf("%s %s\n", ops->name, SONAE_VERSION);
                return 0;
        }
        if (cli.first_arg < argc) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", ops->name, argv[cli.first_arg]);
                return 2;
        }
        struct sonae_config *cfg = NULL;
        if (daemon_load_config(cli.config, ops, &cfg) < 0) {
                fprintf(stderr, "%s: configuration has errors\n", ops->name);
                return 1;
        }
        if (cli.check_only) {
                printf("configuration OK\n");
                conf_free(cfg);
                return 0;
        }
        apply_log_level(cfg);

        /* Block the signals before any thread starts, so that every thread
         * inherits the mask and only the signalfd sees them. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0) {
                log_err("signalfd: %s", strerror(errno));
                conf_free(cfg);
                return 1;
        }
        if (ops->start && ops->start(state, cfg) < 0) {
                log_err("could not start");
                close(sfd);
                conf_free(cfg);
                return 1;
        }
        log_info("started (%s, config %s)", SONAE_VERSION, cli.config);
        daemon_notify("READY=1");

        int exit_code = 0;
        int64_t wait_ms = -1;
        int64_t beat_at = 0;
        struct log_complain beat_lc = {0};
        for (;;) {
                if (ops->tick)
                        wait_ms = ops->tick(state);
                daemon_notify("WATCHDOG=1");
                /* The liveness file portald's watchdog reads (heartbeat.h). */
                int64_t now = time_now_ms() / 1000;
                if (now - beat_at >= HEARTBEAT_PERIOD_S || now < beat_at) {
                        int hr = heartbeat_write(cfg->data.dir, ops->name);
                        if (hr < 0)
                                log_complain(&beat_lc, LOG_LVL_WARN,
                                             "heartbeat file under %s/run: %s", cfg->data.dir,
                                             strerror(-hr));
                        else
                                log_recovered(&beat_lc, "heartbeat file written again");
                        beat_at = now;
                }
                /* Wake at least every 10 s so the watchdog is fed. */
                int timeout = wait_ms < 0 || wait_ms > 10000 ? 10000 : (int)wait_ms;
                struct pollfd pfd = {.fd = sfd, .events = POLLIN};
                int pr = poll(&pfd, 1, timeout);
                if (pr < 0 && errno != EINTR) {
                        log_err("poll: %s", strerror(errno));
                        exit_code = 1;
                        break;
                }
                if (pr <= 0)
                        continue;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                        continue;
                if (si.ssi_signo == SIGHUP) {
                        struct sonae_config *ncfg = NULL;
                        log_info("SIGHUP: reloading %s", cli.config);
                        if (daemon_load_config(cli.config, ops, &ncfg) < 0) {
                                log_err("new configuration has errors; keeping the old one");
                                continue;
                        }
                        if (!ops->reload) {
                                /* The running parts still borrow the old
                                 * config: only the log level changes. */
                                apply_log_level(ncfg);
                                conf_free(ncfg);
                                log_info("configuration valid; log level applied");
                                continue;
                        }
                        if (ops->reload(state, ncfg) < 0) {
                                log_err("could not apply the new configuration; keeping the old "
                                        "one");
                                conf_free(ncfg);
                                continue;
                        }
                        conf_free(cfg);
                        cfg = ncfg;
                        apply_log_level(cfg);
                        log_info("configuration reloaded");
                        continue;
                }
                log_info("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
                break;
        }
        daemon_notify("STOPPING=1");
        if (ops->stop)
                ops->stop(state);
        heartbeat_remove(cfg->data.dir, ops->name);
        close(sfd);
        conf_free(cfg);
        log_info("stopped");
        return exit_code;
}
