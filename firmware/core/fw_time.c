#include "fw_time.h"

#include <errno.h>
#include <string.h>

void fw_time_init(struct fw_time *t)
{
        memset(t, 0, sizeof(*t));
}

int fw_time_network(struct fw_time *t, int64_t mono, int64_t utc)
{
        int64_t off = utc - mono;
        int changed = !t->valid || t->offset != off;
        t->valid = 1;
        t->offset = off;
        t->source = FW_TIME_NETWORK;
        return changed;
}

int fw_time_hint(struct fw_time *t, int64_t mono, int64_t utc)
{
        int64_t off = utc - mono;
        if (t->valid && off <= t->offset + FW_TIME_SLACK_S)
                return 0;
        t->valid = 1;
        t->offset = off;
        t->source = FW_TIME_DOWNLINK;
        return 1;
}

int fw_time_utc(const struct fw_time *t, int64_t mono, int64_t *utc)
{
        if (!t->valid)
                return -EAGAIN;
        *utc = mono + t->offset;
        return 0;
}
