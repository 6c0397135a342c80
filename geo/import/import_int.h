/* Shared by the importers of geo/import/ only. */
#ifndef SONAE_GEO_IMPORT_INT_H
#define SONAE_GEO_IMPORT_INT_H

#include "import.h"

/* The edition of an import: o->version (1-64 bytes) or the import time
 * YYYYMMDDTHHMMSSZ into version; name and version into the report.
 * -EINVAL with the reason in rep->error for a bad name or version. */
int geo_import_edition(const char *name, const struct geo_import_opts *o, char version[65],
                       struct geo_import_report *rep);

#endif
