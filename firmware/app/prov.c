#include "prov.h"

#include <errno.h>
#include <string.h>

void node_prov_init(struct node_prov *p)
{
        memset(p, 0, sizeof(*p));
}

static int set_str(char *dst, size_t cap, const char *v, size_t n)
{
        if (n >= cap)
                return -ERANGE;
        memcpy(dst, v, n);
        dst[n] = '\0';
        return 0;
}

/* A decimal integer in lo..hi, the whole of v. */
static int set_uint(uint32_t *dst, const char *v, size_t n, uint32_t lo, uint32_t hi)
{
        uint32_t x = 0;
        size_t i;
        if (n == 0 || n > 10)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return -EINVAL;
                if (x > (hi - (uint32_t)(v[i] - '0')) / 10)
                        return -ERANGE;
                x = x * 10 + (uint32_t)(v[i] - '0');
        }
        if (x < lo || x > hi)
                return -ERANGE;
        *dst = x;
        return 0;
}

/* Metres with up to three decimals, into millimetres, within ±50 m. */
static int set_mm(int32_t *dst, const char *v, size_t n)
{
        int32_t x = 0, neg = 0, frac = -1;
        size_t i = 0;
        if (n && (v[0] == '-' || v[0] == '+')) {
                neg = v[0] == '-';
                i = 1;
        }
        if (i == n)
                return -EINVAL;
        for (; i < n; i++) {
                if (v[i] == '.' && frac < 0) {
                        frac = 0;
                        continue;
                }
                if (v[i] < '0' || v[i] > '9' || frac >= 3)
                        return -EINVAL;
                if (x > 50000)
                        return -ERANGE;
                x = x * 10 + (v[i] - '0');
                if (frac >= 0)
                        frac++;
        }
        for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
                x *= 10;
        if (x > 50000)
                return -ERANGE;
        *dst = neg ? -x : x;
        return 0;
}

int node_prov_line(struct node_prov *p, const char *line, size_t len)
{
        const char *eq;
        size_t kn, vn;
        uint32_t u;
        int rc;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
                len--;
        while (len && (line[0] == ' ' || line[0] == '\t')) {
                line++;
                len--;
        }
        if (len == 0 || line[0] == '#')
                return NODE_PROV_SKIP;
        if (len > NODE_PROV_LINE_MAX)
                return -ERANGE;
        eq = memchr(line, '=', len);
        if (!eq)
                return -EINVAL;
        kn = (size_t)(eq - line);
        vn = len - kn - 1;
#define KEY(k) (kn == sizeof(k) - 1 && memcmp(line, k, kn) == 0)
        if (KEY("device")) {
                rc = set_str(p->device, sizeof(p->device), eq + 1, vn);
                if (rc == 0 && !senml_device_valid(p->device))
                        rc = -EINVAL;
        } else if (KEY("username")) {
                rc = set_str(p->username, sizeof(p->username), eq + 1, vn);
        } else if (KEY("password")) {
                rc = set_str(p->password, sizeof(p->password), eq + 1, vn);
        } else if (KEY("host")) {
                rc = set_str(p->host, sizeof(p->host), eq + 1, vn);
        } else if (KEY("port")) {
                rc = set_uint(&u, eq + 1, vn, 1, 65535);
                if (rc == 0)
                        p->port = (uint16_t)u;
        } else if (KEY("ca_sha256")) {
                rc = set_str(p->ca_sha256, sizeof(p->ca_sha256), eq + 1, vn);
                p->tls = rc == 0 && vn > 0;
        } else if (KEY("mount_mm")) {
                rc = set_uint(&u, eq + 1, vn, 1, 50000);
                if (rc == 0)
                        p->mount_mm = (int32_t)u;
        } else if (KEY("measure_s")) {
                rc = set_uint(&p->measure_s, eq + 1, vn, 1, 3600);
        } else if (KEY("heartbeat_s")) {
                rc = set_uint(&p->heartbeat_s, eq + 1, vn, 1, 172800);
        } else if (KEY("flood_s")) {
                rc = set_uint(&p->flood_s, eq + 1, vn, 1, 3600);
        } else if (KEY("flood_min_s")) {
                rc = set_uint(&p->flood_min_s, eq + 1, vn, 1, 86400);
        } else if (KEY("start_level_m")) {
                rc = set_mm(&p->start_level_mm, eq + 1, vn);
                if (rc == 0)
                        p->has_start_level = 1;
        } else {
                rc = -ENOENT;
        }
#undef KEY
        return rc;
}

int node_prov_console(struct node_prov *p, const char *line, size_t len)
{
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        if (len == 8 && memcmp(line, "prov end", 8) == 0)
                return NODE_PROV_END;
        if (len < 6 || memcmp(line, "prov ", 5) != 0)
                return -EINVAL;
        return node_prov_line(p, line + 5, len - 5);
}

int node_prov_check(const struct node_prov *p, const char **why)
{
        const char *w = NULL;
        if (!p->device[0])
                w = "device";
        else if (p->username[0] && strcmp(p->username, p->device) != 0)
                w = "username (must be the device id)";
        else if (!p->password[0])
                w = "password";
        else if (!p->host[0])
                w = "host";
        else if (!p->port)
                w = "port";
        if (why)
                *why = w;
        return w ? -EINVAL : 0;
}
