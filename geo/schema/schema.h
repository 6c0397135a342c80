/* The numbered migrations of geo/schema/, embedded in the binary by
 * embed.py.  Entry i has version i + 1. */
#ifndef SONAE_SCHEMA_H
#define SONAE_SCHEMA_H

struct schema_migration {
        int version;
        const char *name;
        const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const int schema_n_migrations;

/* The PostgreSQL translations of geo/postgis/schema/, same numbers. */
extern const struct schema_migration pg_schema_migrations[];
extern const int pg_schema_n_migrations;

#endif
