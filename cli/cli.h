/* The admin CLI `sonae`: one file per subcommand, listed in main.c's verb
 * table. */
#ifndef SONAE_CLI_H
#define SONAE_CLI_H

#include "daemon.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cli_verb {
        const char *name;
        const char *usage; /* one line, after "sonae " */
        /* argv[0] is the verb; common holds the shared flags before it. */
        int (*run)(int argc, char **argv, const struct cli_common *common);
};

int cmd_init(int argc, char **argv, const struct cli_common *common);
int cmd_db(int argc, char **argv, const struct cli_common *common);
int cmd_jma(int argc, char **argv, const struct cli_common *common);
int cmd_device(int argc, char **argv, const struct cli_common *common);
int cmd_import(int argc, char **argv, const struct cli_common *common);
int cmd_user(int argc, char **argv, const struct cli_common *common);
int cmd_notify(int argc, char **argv, const struct cli_common *common);

int cmd_drill(int argc, char **argv, const struct cli_common *common);
int cmd_run(int argc, char **argv, const struct cli_common *common);

/* The path of another Sonae executable (sonae-portald, …) beside this one,
 * or in the build tree's folder for it, into out; 0 or -ENOENT. */
int cli_sibling(const char *name, char *out, size_t n);
/* Starts argv (execvp) with stdin from /dev/null and stdout and stderr
 * appended to log_path (NULL: inherited), in its own session when detach.
 * Returns the pid or -errno. */
pid_t cli_spawn(char *const argv[], const char *log_path, bool detach);

/* Creates a folder and its parents (mkdir -p); returns 0 or -errno. */
int cli_mkdirs(const char *path, unsigned mode);

#endif
