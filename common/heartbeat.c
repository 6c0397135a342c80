/* Daemons' liveness files (heartbeat.h). */
#include "heartbeat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int path_of(const char *data_dir, const char *name, const char *suffix, char *out,
                   size_t cap)
{
        if (!data_dir || !name || !*name || strchr(name, '/') || strstr(name, ".."))
                return -EINVAL;
        int n = snprintf(out, cap, "%s/run/%s%s", data_dir, name, suffix);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int heartbeat_write(const char *data_dir, const char *name)
{
        char dir[4096], path[4096], tmp[4096], host[256] = "";
        int rc = path_of(data_dir, name, ".alive", path, sizeof(path));
        if (rc == 0)
                rc = path_of(data_dir, name, ".alive.tmp", tmp, sizeof(tmp));
        if (rc < 0)
                return rc;
        snprintf(dir, sizeof(dir), "%s", data_dir);
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                return -errno;
        snprintf(dir, sizeof(dir), "%s/run", data_dir);
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                return -errno;
        gethostname(host, sizeof(host) - 1);
        FILE *f = fopen(tmp, "w");
        if (!f)
                return -errno;
        fprintf(f, "pid=%ld\nhost=%s\n", (long)getpid(), host);
        if (fclose(f) != 0)
                return -EIO;
        return rename(tmp, path) < 0 ? -errno : 0;
}

void heartbeat_remove(const char *data_dir, const char *name)
{
        char path[4096];
        if (path_of(data_dir, name, ".alive", path, sizeof(path)) == 0)
                unlink(path);
}

enum heartbeat_state heartbeat_check(const char *data_dir, const char *name, int64_t max_age_s)
{
        char path[4096], line[300], host[256] = "", file_host[256] = "";
        struct stat sb;
        if (path_of(data_dir, name, ".alive", path, sizeof(path)) < 0 || stat(path, &sb) < 0)
                return HEARTBEAT_MISSING;
        long pid = 0;
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (strncmp(line, "pid=", 4) == 0)
                        pid = strtol(line + 4, NULL, 10);
                else if (strncmp(line, "host=", 5) == 0)
                        snprintf(file_host, sizeof(file_host), "%.255s", line + 5);
        }
        if (f)
                fclose(f);
        gethostname(host, sizeof(host) - 1);
        /* The pid means something only on the host that wrote it. */
        if (pid > 0 && strcmp(host, file_host) == 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                return HEARTBEAT_DEAD;
        /* File times are wall-clock times. */
        if ((int64_t)time(NULL) - (int64_t)sb.st_mtime > max_age_s)
                return HEARTBEAT_STALE;
        return HEARTBEAT_ALIVE;
}

const char *heartbeat_state_ja(enum heartbeat_state s)
{
        switch (s) {
        case HEARTBEAT_ALIVE:
                return "動作中";
        case HEARTBEAT_MISSING:
                return "起動していないか停止しました";
        case HEARTBEAT_STALE:
                return "応答がありません（処理が止まっているおそれ）";
        case HEARTBEAT_DEAD:
                return "異常終了しました（プロセスがありません）";
        }
        return "不明";
}
