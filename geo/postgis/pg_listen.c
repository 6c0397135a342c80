/* store_events_wait() on PostGIS: LISTEN on the channel every commit that
 * wrote events notifies (pg_tx_end), then a bounded wait on the
 * connection's socket.  Stateless on purpose: LISTEN is sent again on
 * every call (idempotent, one round trip), so a connection reset in
 * between listens again without anyone remembering to. */
#include "pg.h"

#include "timeutil.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

/* The newest id of the notifications already read off the connection. */
static int64_t drain(PGconn *c)
{
        int64_t id = 0;
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
                int64_t v = n->extra ? strtoll(n->extra, NULL, 10) : 0;
                if (v > id)
                        id = v;
                PQfreemem(n);
        }
        return id;
}

int pg_events_wait(struct store *st, int timeout_ms, int64_t *last_id)
{
        struct pg *b = PG(st);
        *last_id = 0;
        if (b->tx_depth > 0)
                return -EINVAL; /* notifications wait for the end of a transaction */
        int rc = pg_q(b, NULL, "LISTEN " PG_EVENTS_CHANNEL, "");
        if (rc < 0)
                return rc;
        int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                if ((*last_id = drain(b->conn)) > 0)
                        return 0;
                int64_t left = deadline - time_mono_ms();
                if (left <= 0)
                        return 0;
                struct pollfd p = {.fd = PQsocket(b->conn), .events = POLLIN};
                if (p.fd < 0)
                        return -EIO;
                int n = poll(&p, 1, (int)left);
                if (n < 0 && errno != EINTR)
                        return -EIO;
                /* A closed connection reads as input; consuming it fails. */
                if (n > 0 && PQconsumeInput(b->conn) != 1)
                        return -EIO;
        }
}
