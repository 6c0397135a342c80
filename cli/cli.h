/* The admin CLI `sonae`: one file per subcommand, listed in main.c's verb
 * table. */
#ifndef SONAE_CLI_H
#define SONAE_CLI_H

#include "daemon.h"

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

/* Creates a folder and its parents (mkdir -p); returns 0 or -errno. */
int cli_mkdirs(const char *path, unsigned mode);

#endif
