#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT(k, t, st, f, d, lo, hi, ch, req, doc)                                                  \
        {                                                                                          \
                k, t, offsetof(st, f), d, lo, hi, ch, req, doc                                     \
        }

static const struct conf_option store_opts[] = {
    OPT("backend", CONF_ENUM, struct conf_store, backend, "spatialite", 0, 0, "spatialite|postgis",
        false, "Store backend: one SpatiaLite file, or PostGIS."),
    OPT("path", CONF_PATH, struct conf_store, path, "data/sonae.db", 0, 0, NULL, false,
        "SpatiaLite database file (backend = spatialite)."),
    OPT("dsn", CONF_STRING, struct conf_store, dsn, NULL, 0, 0, NULL, false,
        "libpq connection string of the primary (backend = postgis)."),
    OPT("read_dsn", CONF_STRING, struct conf_store, read_dsn, NULL, 0, 0, NULL, false,
        "libpq connection string of a read replica for the portal (optional)."),
    OPT("synchronous", CONF_ENUM, struct conf_store, synchronous, "normal", 0, 0, "normal|full",
        false, "SQLite synchronous mode; normal survives a process crash under WAL."),
    {0},
};

static const struct conf_option data_opts[] = {
    OPT("dir", CONF_PATH, struct conf_data, dir, "data", 0, 0, NULL, false,
        "Data folder: camera images, tiles, backups."),
    {0},
};

static const struct conf_option log_opts[] = {
    OPT("level", CONF_ENUM, struct conf_log, level, "info", 0, 0, "error|warning|info|debug", false,
        "Lowest level written to stderr."),
    {0},
};

static const struct conf_option portal_opts[] = {
    OPT("listen", CONF_STRING, struct conf_portal, listen, "127.0.0.1:8080", 0, 0, NULL, false,
        "Address and port the portal listens on (HOST:PORT)."),
    OPT("public_base_url", CONF_STRING, struct conf_portal, public_base_url, "", 0, 0, NULL, false,
        "Public URL of the portal behind a proxy, for links in feeds."),
    OPT("web_root", CONF_PATH, struct conf_portal, web_root, "web", 0, 0, NULL, false,
        "Folder of the built front end."),
    OPT("max_body", CONF_INT, struct conf_portal, max_body, "10485760", 1024, 104857600, NULL,
        false, "Largest request body accepted, in bytes."),
    OPT("trusted_proxies", CONF_STRING, struct conf_portal, trusted_proxies, "", 0, 0, NULL, false,
        "Comma-separated proxy addresses whose X-Forwarded-For is believed."),
    OPT("max_connections", CONF_INT, struct conf_portal, max_connections, "3000", 10, 100000, NULL,
        false, "Most connections served at once; more are refused (mind the open-files limit)."),
    OPT("timeout", CONF_INT, struct conf_portal, timeout, "30", 1, 3600, NULL, false,
        "Seconds a connection may stay idle or send nothing before it is closed."),
    OPT("events_without_auth", CONF_BOOL, struct conf_portal, events_without_auth, "false", 0, 0,
        NULL, false,
        "Serve the live event stream /api/v1/events (public events only) without staff login; "
        "only until accounts exist, on a trusted network."),
    OPT("walk_speed", CONF_DOUBLE, struct conf_portal, walk_speed, "0.8", 0.3, 2.0, NULL, false,
        "Walking speed in m/s for the walking times of routes to shelters; 0.8 is an elderly "
        "pace (docs/geo.md)."),
    {0},
};

static const struct conf_option mqtt_opts[] = {
    OPT("host", CONF_STRING, struct conf_mqtt, host, "127.0.0.1", 0, 0, NULL, false,
        "MQTT broker host."),
    OPT("port", CONF_INT, struct conf_mqtt, port, "1883", 1, 65535, NULL, false,
        "MQTT broker port."),
    OPT("client_id", CONF_STRING, struct conf_mqtt, client_id, "sonae-ingestd", 0, 0, NULL, false,
        "Fixed client id, so the broker keeps the persistent session."),
    OPT("username", CONF_STRING, struct conf_mqtt, username, "", 0, 0, NULL, false,
        "User name at the broker."),
    OPT("password_file", CONF_PATH, struct conf_mqtt, password_file, "", 0, 0, NULL, false,
        "File holding the broker password (never the password itself in this file)."),
    OPT("tls_ca", CONF_PATH, struct conf_mqtt, tls_ca, "", 0, 0, NULL, false,
        "CA certificate file; setting it turns TLS on."),
    OPT("tls_cert", CONF_PATH, struct conf_mqtt, tls_cert, "", 0, 0, NULL, false,
        "Client certificate file (optional)."),
    OPT("tls_key", CONF_PATH, struct conf_mqtt, tls_key, "", 0, 0, NULL, false,
        "Client key file (optional)."),
    OPT("gap_alert", CONF_INT, struct conf_mqtt, gap_alert, "3600", 60, 604800, NULL, false,
        "Seconds after which a sensor's open sequence gap is reported as a warning."),
    OPT("node_host", CONF_STRING, struct conf_mqtt, node_host, "", 0, 0, NULL, false,
        "Broker host the sensor nodes connect to, written into provisioning files (empty: host)."),
    OPT("node_port", CONF_INT, struct conf_mqtt, node_port, "8883", 1, 65535, NULL, false,
        "Broker TLS port the sensor nodes connect to, written into provisioning files."),
    OPT("broker_password_file", CONF_PATH, struct conf_mqtt, broker_password_file,
        "mosquitto/passwd", 0, 0, NULL, false,
        "The broker's password file, where `sonae device add` and `rotate` write entries."),
    OPT("broker_acl_file", CONF_PATH, struct conf_mqtt, broker_acl_file, "mosquitto/acl", 0, 0,
        NULL, false, "The broker's ACL file (%u patterns), written by `sonae device add`."),
    OPT("provision_dir", CONF_PATH, struct conf_mqtt, provision_dir, "devices", 0, 0, NULL, false,
        "Folder where `sonae device add` writes each node's provisioning file."),
    OPT("instance_index", CONF_INT, struct conf_mqtt, instance_index, "0", 0, 63, NULL, false,
        "This sonae-ingestd's number among instance_count instances (0-based): it stores the "
        "devices whose FNV-1a hash of the id modulo instance_count equals it."),
    OPT("instance_count", CONF_INT, struct conf_mqtt, instance_count, "1", 1, 64, NULL, false,
        "How many sonae-ingestd instances share the devices; each subscribes to all and ignores "
        "the others' devices, and connects as client_id-INDEX when more than one."),
    {0},
};

static const struct conf_option jma_opts[] = {
    OPT("feeds", CONF_STRING, struct conf_jma, feeds, "extra,eqvol", 0, 0, NULL, false,
        "Comma-separated JMA Atom feeds to poll: extra, eqvol, regular, other."),
    OPT("offices", CONF_STRING, struct conf_jma, offices, "山形地方気象台", 0, 0, NULL, false,
        "Comma-separated editorial offices whose telegrams are fetched."),
    OPT("areas", CONF_STRING, struct conf_jma, areas, "", 0, 0, NULL, false,
        "Comma-separated JMA area codes kept; empty keeps every area of the offices."),
    OPT("exercise", CONF_BOOL, struct conf_jma, exercise, "false", 0, 0, NULL, false,
        "Count 訓練 telegrams (drills and demo only); they are marked exercise."),
    OPT("drill", CONF_BOOL, struct conf_jma, drill, "false", 0, 0, NULL, false,
        "Written by `sonae drill start` for the drill's own collector only: its JMA section "
        "runs and reports its health as the source drill-jma, marked exercise, and leaves "
        "with the drill."),
    OPT("base_url", CONF_STRING, struct conf_jma, base_url,
        "https://www.data.jma.go.jp/developer/xml/feed/", 0, 0, NULL, false,
        "Base URL of the Atom feeds; HTTPS except to loopback."),
    OPT("enabled", CONF_BOOL, struct conf_jma, enabled, "false", 0, 0, NULL, false,
        "Whether sonae-collectd polls the JMA feeds (off until set, so no test or fresh install "
        "polls JMA by accident)."),
    OPT("national", CONF_BOOL, struct conf_jma, national, "true", 0, 0, NULL, false,
        "Also fetch 気象庁's national telegrams: earthquake, tsunami and volcano (eqvol feed), "
        "記録的短時間大雨情報 and 府県気象防災速報 (extra feed)."),
    OPT("aggregates", CONF_STRING, struct conf_jma, aggregates, "", 0, 0, NULL, false,
        "Comma-separated large national telegram types to fetch anyway, whoever the author "
        "(VPWS50, VPRN50); empty fetches none of them."),
    OPT("max_silence", CONF_INT, struct conf_jma, max_silence, "86400", 60, 2592000, NULL, false,
        "Seconds a warning series may stay silent while its office sends others before its "
        "areas show unknown."),
    OPT("r06_window", CONF_INT, struct conf_jma, r06_window, "259200", 60, 31536000, NULL, false,
        "Seconds after an office's last R06 warning telegram during which R06 is authoritative "
        "over H27 for the same phenomena."),
    OPT("retries", CONF_INT, struct conf_jma, retries, "5", 1, 20, NULL, false,
        "Attempts per telegram URL before it is recorded lost (backoff 1, 2, 4, 8 polls)."),
    OPT("interval", CONF_INT, struct conf_jma, interval, "60", 10, 3600, NULL, false,
        "Seconds between two polls of the feeds (JMA updates them every minute; the demo and "
        "drills poll their local replay faster)."),
    {0},
};

static const struct conf_option demo_opts[] = {
    OPT("speed", CONF_DOUBLE, struct conf_demo, speed, "60", 1, 3600, NULL, false,
        "Time compression of the demo scenario (60: ten minutes in ten seconds)."),
    OPT("all_exercise", CONF_BOOL, struct conf_demo, all_exercise, "false", 0, 0, NULL, false,
        "Mark every event of the store exercise (the demo, whose data are all fictional): "
        "notifications then reach only exercise channels, marked 訓練. Never in a city's store."),
    {0},
};

static const struct conf_option source_opts[] = {
    OPT("type", CONF_ENUM, struct conf_instance, type, NULL, 0, 0,
        "kriver|kawabou|table|camera|amedas", true, "Kind of source."),
    OPT("enabled", CONF_BOOL, struct conf_instance, enabled, "true", 0, 0, NULL, false,
        "Whether the source is polled."),
    OPT("interval", CONF_INT, struct conf_instance, interval, "600", 10, 86400, NULL, false,
        "Seconds between polls; national river sites update every 10 minutes."),
    OPT("url", CONF_STRING, struct conf_instance, url, "", 0, 0, NULL, false,
        "URL polled; further keys depend on the type."),
    {0},
};

static const struct conf_option notify_opts[] = {
    OPT("type", CONF_ENUM, struct conf_instance, type, NULL, 0, 0, "smtp|webhook|line|webpush",
        true, "Kind of channel."),
    OPT("enabled", CONF_BOOL, struct conf_instance, enabled, "true", 0, 0, NULL, false,
        "Whether messages are sent; further keys depend on the type."),
    {0},
};

const struct conf_section_def conf_sections[] = {
    {"store", store_opts, "Where Sonae keeps everything it knows."},
    {"data", data_opts, "Files beside the store."},
    {"log", log_opts, "Logging of the daemons."},
    {"portal", portal_opts, "sonae-portald, the web portal and API."},
    {"mqtt", mqtt_opts, "The broker sonae-ingestd reads the city's sensor nodes from."},
    {"jma", jma_opts, "JMA 防災情報XML feeds read by sonae-collectd."},
    {"demo", demo_opts, "The demo scenario and drills."},
    {"source.NAME", source_opts, "One river, rain or camera source of sonae-collectd."},
    {"notify.NAME", notify_opts, "One notification channel of sonae-portald."},
};
const size_t conf_n_sections = sizeof(conf_sections) / sizeof(conf_sections[0]);

struct fixed_section {
        const char *name;
        const struct conf_option *opts;
        size_t offset;
};

static const struct fixed_section fixed_sections[] = {
    {"store", store_opts, offsetof(struct sonae_config, store)},
    {"data", data_opts, offsetof(struct sonae_config, data)},
    {"log", log_opts, offsetof(struct sonae_config, log)},
    {"portal", portal_opts, offsetof(struct sonae_config, portal)},
    {"mqtt", mqtt_opts, offsetof(struct sonae_config, mqtt)},
    {"jma", jma_opts, offsetof(struct sonae_config, jma)},
    {"demo", demo_opts, offsetof(struct sonae_config, demo)},
};
#define N_FIXED (sizeof(fixed_sections) / sizeof(fixed_sections[0]))

void conf_diag_init(struct conf_diag *d)
{
        buf_init(&d->text, 1024 * 1024);
        d->errors = 0;
        d->warnings = 0;
}

void conf_diag_free(struct conf_diag *d)
{
        if (d)
                buf_free(&d->text);
}

void conf_diag_add(struct conf_diag *d, bool error, const char *file, int line, const char *section,
                   const char *key, const char *fmt, ...)
{
        if (!d)
                return;
        if (error)
                d->errors++;
        else
                d->warnings++;
        buf_printf(&d->text, "%s:%d: %s: ", file ? file : "-", line, error ? "error" : "warning");
        if (section && key)
                buf_printf(&d->text, "[%s] %s: ", section, key);
        else if (section)
                buf_printf(&d->text, "[%s]: ", section);
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(&d->text, fmt, ap);
        va_end(ap);
        buf_putc(&d->text, '\n');
}

char *conf_resolve_path(const char *cfgdir, const char *path)
{
        if (!path)
                return NULL;
        if (path[0] == '/' || path[0] == '\0' || !cfgdir || !cfgdir[0])
                return strdup(path);
        size_t n = strlen(cfgdir) + strlen(path) + 2;
        char *p = malloc(n);
        if (p)
                snprintf(p, n, "%s/%s", cfgdir, path);
        return p;
}

static bool choice_ok(const char *choices, const char *v)
{
        size_t vl = strlen(v);
        const char *p = choices;
        while (p && *p) {
                const char *bar = strchr(p, '|');
                size_t l = bar ? (size_t)(bar - p) : strlen(p);
                if (l == vl && strncmp(p, v, l) == 0)
                        return true;
                p = bar ? bar + 1 : NULL;
        }
        return false;
}

static int parse_bool(const char *v, bool *out)
{
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < 4; i++) {
                if (strcmp(v, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcmp(v, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* Sets one field from text.  Returns 0, or -EINVAL with msg filled. */
static int set_value(const struct conf_option *o, void *base, const char *v, const char *cfgdir,
                     char *msg, size_t msglen)
{
        char *field = (char *)base + o->offset;
        switch (o->type) {
        case CONF_STRING:
        case CONF_PATH:
        case CONF_ENUM: {
                if (o->type == CONF_ENUM && !choice_ok(o->choices, v)) {
                        snprintf(msg, msglen, "'%s' is not one of %s", v, o->choices);
                        return -EINVAL;
                }
                char *s = o->type == CONF_PATH ? conf_resolve_path(cfgdir, v) : strdup(v);
                if (!s) {
                        snprintf(msg, msglen, "out of memory");
                        return -ENOMEM;
                }
                free(*(char **)field);
                *(char **)field = s;
                return 0;
        }
        case CONF_INT: {
                char *end;
                errno = 0;
                long long x = strtoll(v, &end, 10);
                if (errno || end == v || *end != '\0') {
                        snprintf(msg, msglen, "'%s' is not an integer", v);
                        return -EINVAL;
                }
                if ((double)x < o->min || (double)x > o->max) {
                        snprintf(msg, msglen, "%lld is out of bounds [%.0f, %.0f]", x, o->min,
                                 o->max);
                        return -EINVAL;
                }
                *(int64_t *)field = x;
                return 0;
        }
        case CONF_DOUBLE: {
                char *end;
                errno = 0;
                double x = strtod(v, &end);
                if (errno || end == v || *end != '\0' || !isfinite(x)) {
                        snprintf(msg, msglen, "'%s' is not a number", v);
                        return -EINVAL;
                }
                if (x < o->min || x > o->max) {
                        snprintf(msg, msglen, "%g is out of bounds [%g, %g]", x, o->min, o->max);
                        return -EINVAL;
                }
                *(double *)field = x;
                return 0;
        }
        case CONF_BOOL:
                if (parse_bool(v, (bool *)field) < 0) {
                        snprintf(msg, msglen, "'%s' is not a boolean (true or false)", v);
                        return -EINVAL;
                }
                return 0;
        }
        return -EINVAL;
}

static void set_defaults(const struct conf_option *table, void *base, const char *cfgdir)
{
        for (const struct conf_option *o = table; o->key; o++) {
                char msg[256];
                if (o->def)
                        set_value(o, base, o->def, cfgdir, msg, sizeof(msg));
                else if (o->type == CONF_DOUBLE)
                        *(double *)((char *)base + o->offset) = NAN;
        }
}

static const struct conf_option *find_opt(const struct conf_option *table, const char *key)
{
        for (const struct conf_option *o = table; o->key; o++)
                if (strcmp(o->key, key) == 0)
                        return o;
        return NULL;
}

int conf_apply_table(const struct conf_option *table, void *out, const struct conf_kv *kv, size_t n,
                     const char *cfgdir, const char *file, const char *section,
                     struct conf_diag *diag)
{
        int rc = 0;
        set_defaults(table, out, cfgdir);
        for (size_t i = 0; i < n; i++) {
                const struct conf_option *o = find_opt(table, kv[i].key);
                if (!o) {
                        conf_diag_add(diag, false, file, kv[i].line, section, kv[i].key,
                                      "unknown key, ignored");
                        continue;
                }
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(kv[j].key, kv[i].key) == 0) {
                                conf_diag_add(diag, true, file, kv[i].line, section, kv[i].key,
                                              "duplicate key (first set on line %d)", kv[j].line);
                                rc = -EINVAL;
                        }
                }
                char msg[256];
                if (set_value(o, out, kv[i].value, cfgdir, msg, sizeof(msg)) < 0) {
                        conf_diag_add(diag, true, file, kv[i].line, section, kv[i].key, "%s", msg);
                        rc = -EINVAL;
                }
        }
        for (const struct conf_option *o = table; o->key; o++) {
                if (!o->required)
                        continue;
                bool found = false;
                for (size_t i = 0; i < n && !found; i++)
                        found = strcmp(kv[i].key, o->key) == 0;
                if (!found) {
                        conf_diag_add(diag, true, file, kv && n ? kv[0].line : 0, section, o->key,
                                      "required key is missing");
                        rc = -EINVAL;
                }
        }
        return rc;
}

void conf_table_free(const struct conf_option *table, void *out)
{
        if (!out)
                return;
        for (const struct conf_option *o = table; o->key; o++) {
                if (o->type == CONF_STRING || o->type == CONF_PATH || o->type == CONF_ENUM) {
                        char **f = (char **)((char *)out + o->offset);
                        free(*f);
                        *f = NULL;
                }
        }
}

/* ---- Reading the file ---- */

/* Every pair read, grouped later by section; the line comes from our reader
 * because Debian's inih is built without INI_HANDLER_LINENO. */
struct raw_kv {
        char *section;
        struct conf_kv kv;
};

struct reader {
        FILE *f;
        int line;
        const char *file;
        struct conf_diag *diag;
        struct raw_kv *items;
        size_t n, cap;
        int oom;
        char **sections; /* every section header seen, for empty sections */
        int *section_lines;
        size_t n_sections;
        int bad_lines;
};

static char *read_line(char *str, int num, void *stream)
{
        struct reader *r = stream;
        char *s = fgets(str, num, r->f);
        if (!s)
                return NULL;
        r->line++;
        size_t l = strlen(s);
        if (l == (size_t)num - 1 && s[l - 1] != '\n' && !feof(r->f)) {
                conf_diag_add(r->diag, true, r->file, r->line, NULL, NULL,
                              "line longer than %d characters", num - 2);
                r->bad_lines++;
                int c;
                while ((c = fgetc(r->f)) != EOF && c != '\n')
                        ;
                s[0] = '\0'; /* skip the line whole rather than parse half of it */
        }
        return s;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
        struct reader *r = user;
        if (!name) {
                /* INI_CALL_HANDLER_ON_NEW_SECTION is off in Debian's build;
                 * sections are recorded through their keys instead. */
                return 1;
        }
        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 32;
                struct raw_kv *p = realloc(r->items, cap * sizeof(*p));
                if (!p) {
                        r->oom = 1;
                        return 0;
                }
                r->items = p;
                r->cap = cap;
        }
        struct raw_kv *it = &r->items[r->n];
        it->section = strdup(section);
        it->kv.key = strdup(name);
        it->kv.value = strdup(value ? value : "");
        it->kv.line = r->line;
        if (!it->section || !it->kv.key || !it->kv.value) {
                free(it->section);
                free(it->kv.key);
                free(it->kv.value);
                r->oom = 1;
                return 0;
        }
        r->n++;
        return 1;
}

static void free_instances(struct conf_instance *v, size_t n, const struct conf_option *table)
{
        for (size_t i = 0; i < n; i++) {
                conf_table_free(table, &v[i]);
                free(v[i].name);
                for (size_t j = 0; j < v[i].n_extra; j++) {
                        free(v[i].extra[j].key);
                        free(v[i].extra[j].value);
                }
                free(v[i].extra);
        }
        free(v);
}

void conf_free(struct sonae_config *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < N_FIXED; i++)
                conf_table_free(fixed_sections[i].opts, (char *)cfg + fixed_sections[i].offset);
        free_instances(cfg->sources, cfg->n_sources, source_opts);
        free_instances(cfg->notifiers, cfg->n_notifiers, notify_opts);
        free(cfg->file);
        free(cfg->dir);
        free(cfg);
}

const char *conf_instance_get(const struct conf_instance *in, const char *key)
{
        for (size_t i = 0; i < in->n_extra; i++)
                if (strcmp(in->extra[i].key, key) == 0)
                        return in->extra[i].value;
        return NULL;
}

/* Builds the instances of one prefix ("source." or "notify.") from the raw
 * pairs: the table's own keys fill the struct, the others are kept as extra
 * for the part that owns the type. */
static int build_instances(struct reader *r, const char *prefix, const struct conf_option *table,
                           const char *cfgdir, struct conf_instance **out, size_t *n_out)
{
        size_t plen = strlen(prefix);
        struct conf_instance *v = NULL;
        size_t n = 0;
        int rc = 0;
        for (size_t i = 0; i < r->n; i++) {
                const char *sec = r->items[i].section;
                if (strncmp(sec, prefix, plen) != 0)
                        continue;
                bool seen = false;
                for (size_t j = 0; j < n && !seen; j++)
                        seen = strcmp(v[j].name, sec + plen) == 0;
                if (seen)
                        continue;
                if (sec[plen] == '\0') {
                        conf_diag_add(r->diag, true, r->file, r->items[i].kv.line, sec, NULL,
                                      "section needs a name after '%s'", prefix);
                        rc = -EINVAL;
                        continue;
                }
                struct conf_instance *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv) {
                        rc = -ENOMEM;
                        break;
                }
                v = nv;
                struct conf_instance *in = &v[n++];
                memset(in, 0, sizeof(*in));
                in->name = strdup(sec + plen);
                in->line = r->items[i].kv.line;
                /* Split this section's pairs into table keys and extras. */
                struct conf_kv *own = calloc(r->n, sizeof(*own));
                size_t n_own = 0;
                if (!own || !in->name) {
                        free(own);
                        rc = -ENOMEM;
                        break;
                }
                for (size_t k = 0; k < r->n; k++) {
                        if (strcmp(r->items[k].section, sec) != 0)
                                continue;
                        if (find_opt(table, r->items[k].kv.key)) {
                                own[n_own++] = r->items[k].kv;
                        } else {
                                struct conf_kv *ne =
                                    realloc(in->extra, (in->n_extra + 1) * sizeof(*ne));
                                if (!ne) {
                                        rc = -ENOMEM;
                                        break;
                                }
                                in->extra = ne;
                                for (size_t e = 0; e < in->n_extra; e++) {
                                        if (strcmp(ne[e].key, r->items[k].kv.key) == 0) {
                                                conf_diag_add(
                                                    r->diag, true, r->file, r->items[k].kv.line,
                                                    sec, r->items[k].kv.key,
                                                    "duplicate key (first set on line %d)",
                                                    ne[e].line);
                                                rc = -EINVAL;
                                        }
                                }
                                ne[in->n_extra].key = strdup(r->items[k].kv.key);
                                ne[in->n_extra].value = strdup(r->items[k].kv.value);
                                ne[in->n_extra].line = r->items[k].kv.line;
                                in->n_extra++;
                        }
                }
                if (conf_apply_table(table, in, own, n_own, cfgdir, r->file, sec, r->diag) < 0)
                        rc = -EINVAL;
                free(own);
        }
        *out = v;
        *n_out = n;
        return rc;
}

static char *dir_of(const char *path)
{
        char *copy = strdup(path);
        if (!copy)
                return NULL;
        char *d = strdup(dirname(copy));
        free(copy);
        return d;
}

/* Checks that need more than one key. */
static int cross_check(struct sonae_config *cfg, struct conf_diag *diag)
{
        int rc = 0;
        if (strcmp(cfg->store.backend, "postgis") == 0 && (!cfg->store.dsn || !cfg->store.dsn[0])) {
                conf_diag_add(diag, true, cfg->file, 0, "store", "dsn",
                              "backend = postgis needs a dsn");
                rc = -EINVAL;
        }
        if (cfg->mqtt.instance_index >= cfg->mqtt.instance_count) {
                conf_diag_add(diag, true, cfg->file, 0, "mqtt", "instance_index",
                              "instance_index = %" PRId64 " must be below instance_count = %" PRId64
                              " (instances are numbered from 0)",
                              cfg->mqtt.instance_index, cfg->mqtt.instance_count);
                rc = -EINVAL;
        }
        const char *colon = strrchr(cfg->portal.listen, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == cfg->portal.listen || !end || *end || port < 0 || port > 65535) {
                conf_diag_add(diag, true, cfg->file, 0, "portal", "listen", "'%s' is not HOST:PORT",
                              cfg->portal.listen);
                rc = -EINVAL;
        }
        return rc;
}

int conf_load(const char *path, struct sonae_config **out, struct conf_diag *diag)
{
        *out = NULL;
        FILE *f = fopen(path, "r");
        if (!f) {
                int e = errno;
                conf_diag_add(diag, true, path, 0, NULL, NULL, "cannot open: %s", strerror(e));
                return -e;
        }
        struct sonae_config *cfg = calloc(1, sizeof(*cfg));
        struct reader r = {.f = f, .file = path, .diag = diag};
        int rc = 0;
        if (!cfg) {
                fclose(f);
                return -ENOMEM;
        }
        cfg->file = strdup(path);
        cfg->dir = dir_of(path);
        int perr = ini_parse_stream(read_line, &r, handler, &r);
        fclose(f);
        if (r.oom || !cfg->file || !cfg->dir) {
                rc = -ENOMEM;
                goto out;
        }
        if (r.bad_lines)
                rc = -EINVAL;
        if (perr > 0) {
                /* inih goes on after a bad line and reports the first; our
                 * reader already reported overlong lines. */
                if (r.bad_lines == 0) {
                        conf_diag_add(diag, true, path, perr, NULL, NULL,
                                      "not a section header, key = value, or comment");
                }
                rc = -EINVAL;
        } else if (perr < 0) {
                conf_diag_add(diag, true, path, 0, NULL, NULL, "cannot parse");
                rc = -EINVAL;
        }

        /* Fixed sections. */
        for (size_t s = 0; s < N_FIXED; s++) {
                const struct fixed_section *fs = &fixed_sections[s];
                struct conf_kv *kv = calloc(r.n + 1, sizeof(*kv));
                size_t n = 0;
                if (!kv) {
                        rc = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < r.n; i++)
                        if (strcmp(r.items[i].section, fs->name) == 0)
                                kv[n++] = r.items[i].kv;
                if (conf_apply_table(fs->opts, (char *)cfg + fs->offset, kv, n, cfg->dir, path,
                                     fs->name, diag) < 0)
                        rc = -EINVAL;
                free(kv);
        }
        if (build_instances(&r, "source.", source_opts, cfg->dir, &cfg->sources, &cfg->n_sources) <
            0)
                rc = -EINVAL;
        if (build_instances(&r, "notify.", notify_opts, cfg->dir, &cfg->notifiers,
                            &cfg->n_notifiers) < 0)
                rc = -EINVAL;

        /* Unknown sections, once each. */
        for (size_t i = 0; i < r.n; i++) {
                const char *sec = r.items[i].section;
                bool known = strncmp(sec, "source.", 7) == 0 || strncmp(sec, "notify.", 7) == 0;
                for (size_t s = 0; s < N_FIXED && !known; s++)
                        known = strcmp(sec, fixed_sections[s].name) == 0;
                bool first = true;
                for (size_t j = 0; j < i && first; j++)
                        first = strcmp(r.items[j].section, sec) != 0;
                if (!known && first)
                        conf_diag_add(diag, false, path, r.items[i].kv.line, sec[0] ? sec : "",
                                      NULL, "%s, ignored",
                                      sec[0] ? "unknown section" : "key outside any section");
        }
        if (rc == 0 && cross_check(cfg, diag) < 0)
                rc = -EINVAL;
out:
        for (size_t i = 0; i < r.n; i++) {
                free(r.items[i].section);
                free(r.items[i].kv.key);
                free(r.items[i].kv.value);
        }
        free(r.items);
        if (rc < 0) {
                conf_free(cfg);
                return rc;
        }
        *out = cfg;
        return 0;
}

/* ---- Generated documentation and sample ---- */

static const char *type_name(const struct conf_option *o)
{
        switch (o->type) {
        case CONF_STRING:
                return "string";
        case CONF_PATH:
                return "path";
        case CONF_INT:
                return "integer";
        case CONF_DOUBLE:
                return "number";
        case CONF_BOOL:
                return "boolean";
        case CONF_ENUM:
                return "enum";
        }
        return "?";
}

int conf_write_markdown(struct buf *out)
{
        int rc = buf_puts(out, "# Configuration: `sonae.conf`\n\n"
                               "<!-- Generated from the option tables in common/config.c by "
                               "`sonae-confdoc`; do not edit by hand. A test fails when they "
                               "differ. -->\n\n"
                               "One INI file per deployment, read by every executable "
                               "(`-c FILE`, default `/etc/sonae/sonae.conf`; `-n` checks it "
                               "and exits). Relative paths are relative to the folder of the "
                               "file. An unknown section or key is a warning; an invalid value "
                               "of a known key is an error naming file, line and key. Lines "
                               "are at most 198 characters.\n");
        for (size_t s = 0; s < conf_n_sections && rc == 0; s++) {
                const struct conf_section_def *d = &conf_sections[s];
                rc = buf_printf(out,
                                "\n## `[%s]`\n\n%s\n\n| key | type | default | bounds or "
                                "values | meaning |\n| --- | --- | --- | --- | --- |\n",
                                d->name, d->doc);
                for (const struct conf_option *o = d->opts; o->key && rc == 0; o++) {
                        char bounds[128] = "";
                        if (o->type == CONF_INT || o->type == CONF_DOUBLE)
                                snprintf(bounds, sizeof(bounds), "%g – %g", o->min, o->max);
                        else if (o->type == CONF_ENUM)
                                snprintf(bounds, sizeof(bounds), "`%s`", o->choices);
                        else if (o->type == CONF_BOOL)
                                snprintf(bounds, sizeof(bounds), "`true` / `false`");
                        char def[160];
                        if (o->required)
                                snprintf(def, sizeof(def), "*required*");
                        else if (!o->def)
                                snprintf(def, sizeof(def), "(none)");
                        else if (!o->def[0])
                                snprintf(def, sizeof(def), "(empty)");
                        else
                                snprintf(def, sizeof(def), "`%s`", o->def);
                        rc = buf_printf(out, "| `%s` | %s | %s | %s | %s |\n", o->key, type_name(o),
                                        def, bounds, o->doc);
                }
        }
        return rc;
}

int conf_write_sample(struct buf *out)
{
        int rc =
            buf_puts(out, "# sonae.conf — Sonae (備え) の設定ファイル / configuration file\n"
                          "# Written by `sonae init`. Every key is listed with its default;\n"
                          "# docs/config.md explains each one. Relative paths are relative to\n"
                          "# this file's folder. Check with: sonae-portald -n -c sonae.conf\n");
        for (size_t s = 0; s < conf_n_sections && rc == 0; s++) {
                const struct conf_section_def *d = &conf_sections[s];
                bool instance = strchr(d->name, '.') != NULL;
                if (instance)
                        continue;
                rc = buf_printf(out, "\n# %s\n[%s]\n", d->doc, d->name);
                for (const struct conf_option *o = d->opts; o->key && rc == 0; o++)
                        rc = buf_printf(out, "# %s\n%s = %s\n", o->doc, o->key,
                                        o->def ? o->def : "");
        }
        if (rc == 0)
                rc = buf_puts(
                    out,
                    "\n# River, rain and camera sources. The national sites ask not to be\n"
                    "# polled mechanically: enable a source only after arranging access\n"
                    "# (through the prefecture, or FRICS's 水防災オープンデータ提供サービス).\n"
                    "# See docs/sources/.\n"
                    "[source.kriver-yamagata]\n"
                    "type = kriver\n"
                    "enabled = false\n"
                    "interval = 600\n"
                    "url = https://k.river.go.jp/swin/files/area_info/current/06.json\n"
                    "\n"
                    "[source.amedas-tsuruoka]\n"
                    "type = amedas\n"
                    "enabled = false\n"
                    "interval = 600\n"
                    "url = https://www.jma.go.jp/bosai/amedas/data/map/\n"
                    "\n"
                    "# Notification channels (docs/notifications.md).\n"
                    "[notify.staff-mail]\n"
                    "type = smtp\n"
                    "enabled = false\n");
        return rc;
}
