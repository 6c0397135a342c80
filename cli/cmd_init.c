/* sonae init DIR: a commented sample sonae.conf and the data folder.  An
 * existing sonae.conf is never overwritten, so running it again is safe. */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_init(int argc, char **argv, const struct cli_common *common)
{
        (void)common;
        if (argc != 2) {
                fprintf(stderr, "usage: sonae init DIR\n");
                return 2;
        }
        const char *dir = argv[1];
        int r = cli_mkdirs(dir, 0755);
        if (r < 0) {
                fprintf(stderr, "sonae init: cannot create %s: %s\n", dir, strerror(-r));
                return 1;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/data", dir);
        r = cli_mkdirs(path, 0750);
        if (r < 0) {
                fprintf(stderr, "sonae init: cannot create %s: %s\n", path, strerror(-r));
                return 1;
        }
        snprintf(path, sizeof(path), "%s/sonae.conf", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0 && errno == EEXIST) {
                printf("%s exists; left as it is\n", path);
                return 0;
        }
        if (fd < 0) {
                fprintf(stderr, "sonae init: cannot create %s: %s\n", path, strerror(errno));
                return 1;
        }
        struct buf b = BUF_INIT(1024 * 1024);
        r = conf_write_sample(&b);
        ssize_t w = r == 0 ? write(fd, b.data, b.len) : -1;
        int cr = close(fd);
        if (r < 0 || w != (ssize_t)b.len || cr < 0) {
                fprintf(stderr, "sonae init: cannot write %s\n", path);
                unlink(path);
                buf_free(&b);
                return 1;
        }
        buf_free(&b);
        printf("wrote %s\n", path);
        return 0;
}
