/* Moving a SpatiaLite store into an empty PostGIS database (`sonae db copy
 * DSN`, docs/scale.md): table by table through SQL, not through the
 * store's operations, so it covers tables whose operations PostGIS does not
 * have yet.  Conventions as in store.h. */
#ifndef SONAE_STORE_COPY_H
#define SONAE_STORE_COPY_H

#include "store.h"

struct store_copy_table {
        char *name;
        long long rows; /* copied, and counted equal on both sides */
};

struct store_copy_report {
        struct store_copy_table *v; /* in copy order (referenced tables first) */
        size_t n;
        long long rows;
        int source_version, target_version;
        /* Tables the source's schema has and the target's not yet, all
         * empty (else the copy is refused): comma-separated, "" for none. */
        char skipped[512];
        /* Why the copy was refused: one line naming the table, never the
         * dsn. */
        char why[256];
};

/* Copies the SpatiaLite store of src (opened and migrated as usual) into
 * the PostGIS database of dsn, which it migrates first; the target must
 * hold no rows.  Every table both schemas have is copied (geometries as
 * WKB in SRID 6668, blobs as bytea) by COPY in one transaction, the
 * identity sequences are moved past the copied ids, and the rows of every
 * table are counted on both sides before the commit.  Returns 0, or:
 *   -EEXIST   the target holds rows (rep->why names a table)
 *   -ENOTSUP  a table with rows has no counterpart in the target's schema
 *   -EBADMSG  the columns of a table differ, or the counts differ after
 *             the copy (nothing committed)
 *   -EINVAL   src is not a SpatiaLite store, or a geometry is not in 6668
 * or an error of either backend.  On any error the target holds no rows.
 * rep is filled in either case; free it with store_copy_report_free(). */
int store_copy_to_postgis(const struct store_options *src, const char *dsn,
                          struct store_copy_report *rep);
/* Accepts NULL and an empty report. */
void store_copy_report_free(struct store_copy_report *rep);

#endif
