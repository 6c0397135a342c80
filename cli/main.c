/* sonae: the admin CLI. */
#include "cli.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SONAE_VERSION
#define SONAE_VERSION "0.0.0"
#endif

static const struct cli_verb verbs[] = {
    {"init", "init DIR", cmd_init},
    {"db", "db check | migrate | backup FILE | restore FILE [--force] | seed | copy DSN", cmd_db},
    {"jma", "jma parse FILE...", cmd_jma},
    {"device", "device add|list|set|rotate|calibrate", cmd_device},
    {"user",
     "user add NAME --role R [--shelter ID]... | list | passwd NAME | disable NAME | enable NAME | "
     "display add|revoke NAME | display list",
     cmd_user},
    {"import",
     "import hazard|shelters|areas|districts|addresses|roads|rivers FILE [--name N] [--version V]",
     cmd_import},
    {"notify",
     "notify list | add CHANNEL TARGET [--min-level N] [--area CODE] [--district ID] "
     "[--types JSON] [--resident] | delete ID | test NAME [TARGET]",
     cmd_notify},
    {"run", "run [--demo]", cmd_run},
    {"drill", "drill start SCENARIO [--public] [--areas CODE,...] | stop | status", cmd_drill},
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: sonae [-c FILE] [-n] [-h] [--version] VERB [ARGS...]\n"
                   "Sonae (備え) admin command.\n\nVerbs:\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  sonae %s\n", verbs[i].usage);
        fprintf(f,
                "\n  -c, --config FILE  configuration file (default %s)\n"
                "  -n                 check the configuration and exit\n",
                SONAE_DEFAULT_CONFIG);
}

int cli_mkdirs(const char *path, unsigned mode)
{
        char tmp[4096];
        size_t l = strlen(path);
        if (l == 0 || l >= sizeof(tmp))
                return -ENAMETOOLONG;
        memcpy(tmp, path, l + 1);
        for (char *p = tmp + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int main(int argc, char **argv)
{
        struct cli_common common;
        log_init("sonae", LOG_LVL_INFO);
        if (cli_common_parse(argc, argv, "sonae", &common) < 0)
                return 2;
        if (common.version) {
                printf("sonae %s\n", SONAE_VERSION);
                return 0;
        }
        if (common.check_only) {
                struct sonae_config *cfg = NULL;
                if (daemon_load_config(common.config, NULL, &cfg) < 0)
                        return 1;
                conf_free(cfg);
                printf("configuration OK\n");
                return 0;
        }
        if (common.help || common.first_arg >= argc) {
                usage(common.help ? stdout : stderr);
                return common.help ? 0 : 2;
        }
        const char *verb = argv[common.first_arg];
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                if (strcmp(verbs[i].name, verb) == 0)
                        return verbs[i].run(argc - common.first_arg, argv + common.first_arg,
                                            &common);
        }
        fprintf(stderr, "sonae: unknown verb '%s'\n", verb);
        usage(stderr);
        return 2;
}
