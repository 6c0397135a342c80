/* sonae.conf: one INI file per deployment, parsed with inih into a
 * validated struct.  Every option is a row in a table (name, type, bounds,
 * default, documentation); docs/config.md and the sample written by
 * `sonae init` are generated from the same tables.
 *
 * Errors name file, line and key.  An unknown section or key is a warning;
 * an invalid value of a known key is an error.  Relative paths are relative
 * to the folder of the config file. */
#ifndef SONAE_CONFIG_H
#define SONAE_CONFIG_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum conf_type {
        CONF_STRING,
        CONF_PATH, /* a string resolved against the config file's folder */
        CONF_INT,  /* int64_t */
        CONF_DOUBLE,
        CONF_BOOL,
        CONF_ENUM, /* a string from choices */
};

struct conf_option {
        const char *key;
        enum conf_type type;
        size_t offset;       /* of the field in the section's struct */
        const char *def;     /* default as written in the file; NULL: none */
        double min, max;     /* bounds for CONF_INT and CONF_DOUBLE */
        const char *choices; /* "a|b|c" for CONF_ENUM */
        bool required;
        const char *doc; /* one sentence for docs/config.md and the sample */
};

/* One key = value pair kept for a part that validates it later (the keys of
 * a source type, a notification channel).  Strings are owned by the config. */
struct conf_kv {
        char *key;
        char *value;
        int line;
};

/* A [source.NAME] or [notify.NAME] section. */
struct conf_instance {
        char *name;
        int line;
        char *type;
        bool enabled;
        int64_t interval;      /* seconds; sources only */
        char *url;             /* sources only */
        struct conf_kv *extra; /* keys of the type, checked by its owner */
        size_t n_extra;
};

struct conf_store {
        char *backend;
        char *path;
        char *dsn;
        char *read_dsn;
        char *synchronous;
};

struct conf_data {
        char *dir;
};

struct conf_log {
        char *level;
};

struct conf_portal {
        char *listen;
        char *public_base_url;
        char *web_root;
        int64_t max_body;
        char *trusted_proxies;
        bool events_without_auth;
        int64_t max_connections;
        int64_t timeout;
        double walk_speed; /* m/s */
};

struct conf_mqtt {
        char *host;
        int64_t port;
        char *client_id;
        char *username;
        char *password_file;
        char *tls_ca;
        char *tls_cert;
        char *tls_key;
        int64_t gap_alert; /* sonae-ingestd */
        char *node_host;   /* sonae device add: what nodes connect to */
        int64_t node_port;
        char *broker_password_file; /* the broker's files `sonae device` writes */
        char *broker_acl_file;
        char *provision_dir;
        int64_t instance_index; /* sonae-ingestd: this instance's share of the devices */
        int64_t instance_count;
};

struct conf_jma {
        char *feeds;
        char *offices;
        char *areas;
        bool exercise;
        bool drill; /* the drill's own collector's: health as drill-jma, exercise */
        char *base_url;
        /* Added by the JMA collector (docs/sources/jma.md). */
        bool enabled;
        bool national;
        char *aggregates;
        int64_t max_silence;
        int64_t r06_window;
        int64_t retries;
        int64_t interval;
};

struct conf_demo {
        double speed;
        bool all_exercise;
};

struct sonae_config {
        char *file; /* as given */
        char *dir;  /* folder of the file, for relative paths */
        struct conf_store store;
        struct conf_data data;
        struct conf_log log;
        struct conf_portal portal;
        struct conf_mqtt mqtt;
        struct conf_jma jma;
        struct conf_demo demo;
        struct conf_instance *sources;
        size_t n_sources;
        struct conf_instance *notifiers;
        size_t n_notifiers;
};

/* Diagnostics: one line each, "FILE:LINE: [section] key: message". */
struct conf_diag {
        struct buf text;
        unsigned errors;
        unsigned warnings;
};

void conf_diag_init(struct conf_diag *d);
void conf_diag_free(struct conf_diag *d);
void conf_diag_add(struct conf_diag *d, bool error, const char *file, int line, const char *section,
                   const char *key, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Loads and validates path.  Returns 0 and a config the caller frees with
 * conf_free(), or a negative code (-EINVAL when the file has errors, -errno
 * when it cannot be read) with *out NULL.  Warnings and errors go to diag. */
int conf_load(const char *path, struct sonae_config **out, struct conf_diag *diag);
/* Accepts NULL. */
void conf_free(struct sonae_config *cfg);

/* Applies key/value pairs to a struct through a table: defaults first, then
 * each pair; unknown keys warn, bad values and missing required keys are
 * errors.  Used for the section tables and by parts that own type-specific
 * keys (a source type's table over conf_instance.extra).  Strings written
 * into out are owned by out; free them with conf_table_free(). */
int conf_apply_table(const struct conf_option *table, void *out, const struct conf_kv *kv, size_t n,
                     const char *cfgdir, const char *file, const char *section,
                     struct conf_diag *diag);
void conf_table_free(const struct conf_option *table, void *out);

/* Looks up an extra key of an instance; NULL if absent. */
const char *conf_instance_get(const struct conf_instance *in, const char *key);

/* The section tables, for the documentation and sample generators. */
struct conf_section_def {
        const char *name; /* "store", or "source.NAME" for instance sections */
        const struct conf_option *opts;
        const char *doc;
};
extern const struct conf_section_def conf_sections[];
extern const size_t conf_n_sections;

/* Writes docs/config.md's content. */
int conf_write_markdown(struct buf *out);
/* Writes a commented sample sonae.conf: every section, every key with its
 * default; sources that poll national sites are disabled. */
int conf_write_sample(struct buf *out);

/* Resolves a path against the config folder; caller frees. */
char *conf_resolve_path(const char *cfgdir, const char *path);

#endif
