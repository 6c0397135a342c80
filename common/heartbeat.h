/* Daemons' liveness files, read by portald's watchdog (docs/notifications.md).
 *
 * Every daemon that runs daemon_main() keeps DATA_DIR/run/NAME.alive with
 * its pid and host, rewritten every HEARTBEAT_PERIOD_S seconds from the main
 * loop (so a hung loop shows too) and removed on a clean stop.  A reader
 * needs no store: a missing file, one not rewritten for max_age_s of wall
 * time, or one whose pid is gone on this host means the daemon stopped. */
#ifndef SONAE_HEARTBEAT_H
#define SONAE_HEARTBEAT_H

#include <stdint.h>

#define HEARTBEAT_PERIOD_S 10

enum heartbeat_state {
        HEARTBEAT_ALIVE,
        HEARTBEAT_MISSING, /* no file: never started, or stopped cleanly */
        HEARTBEAT_STALE,   /* not rewritten for max_age_s: hung, or on a dead host */
        HEARTBEAT_DEAD,    /* its pid is not running on this host: crashed or killed */
};

/* Writes (atomically) the file of name under data_dir; 0 or a negative errno. */
int heartbeat_write(const char *data_dir, const char *name);
void heartbeat_remove(const char *data_dir, const char *name);
enum heartbeat_state heartbeat_check(const char *data_dir, const char *name, int64_t max_age_s);
/* "動作中", "停止（ファイルなし）", ... for staff messages. */
const char *heartbeat_state_ja(enum heartbeat_state s);

#endif
