/* Starting Sonae's other programs from the CLI (`sonae run`, `sonae
 * drill`): finding them beside this executable, and spawning them with
 * their output in a log file. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_sibling(const char *name, char *out, size_t n)
{
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len <= 0)
                return -errno;
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        /* Installed: beside sonae.  Build tree: build/cli/sonae and
         * build/{portal,collectors,sensors,demo}/NAME. */
        static const char *const dirs[] = {"", "/../portal", "/../collectors", "/../sensors",
                                           "/../demo"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                int k = snprintf(out, n, "%s%s/%s", self, dirs[i], name);
                if (k < 0 || (size_t)k >= n)
                        return -ENAMETOOLONG;
                if (access(out, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

pid_t cli_spawn(char *const argv[], const char *log_path, bool detach)
{
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0)
                return pid;
        if (detach)
                setsid();
        /* The parent may block signals for its signalfd; the child starts
         * with the defaults. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in >= 0)
                dup2(in, 0);
        if (log_path) {
                int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
        }
        execvp(argv[0], argv);
        fprintf(stderr, "sonae: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}
