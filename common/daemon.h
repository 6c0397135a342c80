/* What every Sonae daemon shares: the command line of CONTRACTS.md
 * (-c/--config, -n, -h, --version), validating the whole config before
 * anything connects, signals (SIGTERM/SIGINT stop, SIGHUP reloads only a
 * config that validates), and systemd's notify protocol when NOTIFY_SOCKET
 * is set.  The main thread runs the loop; a daemon's own threads (MQTT,
 * HTTP) are started from its start() hook and stopped from stop(). */
#ifndef SONAE_DAEMON_H
#define SONAE_DAEMON_H

#include "config.h"

#include <stdint.h>

#define SONAE_DEFAULT_CONFIG "/etc/sonae/sonae.conf"

struct daemon_ops {
        const char *name;    /* "sonae-portald" */
        const char *summary; /* one line for -h */
        /* Extra checks beyond the shared tables (source types, channels),
         * run for -n, at start and before a reload.  Optional. */
        int (*check)(const struct sonae_config *cfg, struct conf_diag *diag);
        /* Connects and starts work.  cfg is borrowed until reload/stop.
         * A negative return ends the daemon with exit code 1. */
        int (*start)(void *state, const struct sonae_config *cfg);
        /* Applies a new, already validated config.  Optional: without it a
         * SIGHUP only re-reads the log level. */
        int (*reload)(void *state, const struct sonae_config *cfg);
        /* Called from the main loop; returns milliseconds until it wants to
         * be called again, or -1 for "only on signals".  Optional. */
        int64_t (*tick)(void *state);
        /* Stops threads and frees state; must return promptly. */
        void (*stop)(void *state);
};

/* Runs a daemon; returns the process exit code. */
int daemon_main(int argc, char **argv, const struct daemon_ops *ops, void *state);

/* Command line shared by every executable. */
struct cli_common {
        const char *config; /* borrowed from argv or the default */
        int check_only;     /* -n */
        int help;
        int version;
        int first_arg; /* index of the first non-option argument */
};
/* Parses the shared flags; stops at the first non-option argument.
 * Returns 0, or -EINVAL after printing a usage error. */
int cli_common_parse(int argc, char **argv, const char *prog, struct cli_common *out);

/* Loads and checks the config, printing every diagnostic to stderr. */
int daemon_load_config(const char *path, const struct daemon_ops *ops, struct sonae_config **out);

/* systemd's notify protocol without libsystemd; no-op unless NOTIFY_SOCKET
 * is set.  state is e.g. "READY=1" or "WATCHDOG=1". */
void daemon_notify(const char *state);

#endif
