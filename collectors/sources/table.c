/* table: prefectural and municipal water-level feeds whose shape is
 * described entirely in the config: CSV (UTF-8 or Shift_JIS, headers in
 * Japanese) or JSON, with a mapping of column names or JSON paths to the
 * station id, time, level and thresholds.  A new feed of either kind is a
 * new [source.NAME] section, not new code.
 *
 * Rows that cannot be read (no id, a bad time, a level that is not a
 * number) are skipped with a reason; the rest of the document is kept.  A
 * level written as one of the `missing` words (欠測, -, ...) is a reading
 * with no value, which makes the gauge's state unknown. */
#include "river.h"
#include "river_write.h"
#include "source.h"

#include "jsonutil.h"
#include "timeutil.h"

#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum tcol {
        C_ID,
        C_NAME,
        C_RIVER,
        C_TOWN,
        C_LAT,
        C_LON,
        C_DATE,
        C_TIME,
        C_LEVEL,
        C_STANDBY,
        C_CAUTION,
        C_EVACUATION,
        C_DANGER,
        C_FLOOD,
        C_START,
        N_COLS,
};

struct table_conf {
        char *format;
        char *encoding;
        char *delimiter;
        int64_t header_line;
        char *rows;
        char *col[N_COLS];
        char *time_format;
        char *time_zone;
        char *missing;
        int64_t expected_interval;
};

#define OPT(k, t, f, d, lo, hi, ch, doc)                                                           \
        {                                                                                          \
                k, t, offsetof(struct table_conf, f), d, lo, hi, ch, false, doc                    \
        }
#define COL(k, i, doc) OPT(k, CONF_STRING, col[i], "", 0, 0, NULL, doc)
static const struct conf_option table_options[] = {
    {"format", CONF_ENUM, offsetof(struct table_conf, format), NULL, 0, 0, "csv|json", true,
     "Shape of the document: csv or json."},
    OPT("encoding", CONF_ENUM, encoding, "utf-8", 0, 0, "utf-8|shift_jis",
        "Character encoding of the document (shift_jis is read as Windows-31J)."),
    OPT("delimiter", CONF_STRING, delimiter, ",", 0, 0, NULL,
        "CSV: the field separator, one character (\\t for tab)."),
    OPT("header_line", CONF_INT, header_line, "1", 1, 100, NULL,
        "CSV: the line holding the column names; lines above it are skipped."),
    OPT("rows", CONF_STRING, rows, "", 0, 0, NULL,
        "JSON: dotted path to the array (or object) of rows; empty for the root."),
    COL("col_id", C_ID, "Column or path of the station id (JSON: $key for an object's keys)."),
    COL("col_name", C_NAME, "Column or path of the station name."),
    COL("col_river", C_RIVER, "Column or path of the river name."),
    COL("col_town", C_TOWN, "Column or path of the municipality code."),
    COL("col_lat", C_LAT, "Column or path of the latitude (JGD2011 degrees)."),
    COL("col_lon", C_LON, "Column or path of the longitude (JGD2011 degrees)."),
    COL("col_date", C_DATE, "Column or path of the date when date and time are apart."),
    COL("col_time", C_TIME, "Column or path of the observation time (or date and time)."),
    COL("col_level", C_LEVEL, "Column or path of the water level in metres."),
    COL("col_standby", C_STANDBY, "Column or path of 水防団待機水位."),
    COL("col_caution", C_CAUTION, "Column or path of 氾濫注意水位."),
    COL("col_evacuation", C_EVACUATION, "Column or path of 避難判断水位."),
    COL("col_danger", C_DANGER, "Column or path of 氾濫危険水位 (危険水位 for crisis gauges)."),
    COL("col_flood", C_FLOOD, "Column or path of 氾濫発生水位 (氾濫開始水位)."),
    COL("col_start", C_START, "Column or path of 観測開始水位 (crisis gauges)."),
    OPT("time_format", CONF_STRING, time_format, "iso8601", 0, 0, NULL,
        "iso8601, or a strptime pattern such as %Y/%m/%d %H:%M applied to date and time."),
    OPT("time_zone", CONF_STRING, time_zone, "+09:00", 0, 0, NULL,
        "Offset of times written without one (+09:00: JST)."),
    OPT("missing", CONF_STRING, missing, "-,--,---,欠測,閉局,未受信,調整中,**,*", 0, 0, NULL,
        "Comma-separated words meaning \"no value\" (a reading with no level)."),
    OPT("expected_interval", CONF_INT, expected_interval, "600", 60, 86400, NULL,
        "Seconds between a gauge's readings; stale after this times the store's grace."),
    {0},
};
#undef COL
#undef OPT

struct table {
        struct table_conf conf;
        bool json;
        bool sjis;
        char delim;
        int32_t offset_s;
        struct river_writer *writer;
};

static bool is_missing(const struct table *t, const char *v)
{
        size_t vl = strlen(v);
        for (const char *p = t->conf.missing; *p;) {
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                if (l == vl && strncmp(p, v, l) == 0)
                        return true;
                if (!e)
                        break;
                p = e + 1;
        }
        return vl == 0;
}

/* A number, NAN for a missing word; -EINVAL (as *bad) for anything else. */
static double cell_num(const struct table *t, const char *v, bool *bad)
{
        char tmp[64];
        river_copy_str(tmp, sizeof(tmp), v);
        if (is_missing(t, tmp))
                return NAN;
        char *end;
        double d = strtod(tmp, &end);
        if (end == tmp || *end || !isfinite(d)) {
                *bad = true;
                return NAN;
        }
        return d;
}

static int cell_time(const struct table *t, const char *date, const char *tm, int64_t *out)
{
        char s[96];
        if (date && date[0])
                snprintf(s, sizeof(s), "%s %s", date, tm ? tm : "");
        else
                snprintf(s, sizeof(s), "%s", tm ? tm : "");
        char v[96];
        river_copy_str(v, sizeof(v), s);
        if (!v[0])
                return -EINVAL;
        if (strcmp(t->conf.time_format, "iso8601") == 0)
                return time_parse_iso8601(v, t->offset_s, out);
        struct tm b;
        memset(&b, 0, sizeof(b));
        const char *end = strptime(v, t->conf.time_format, &b);
        if (!end || *end)
                return -EINVAL;
        /* 24:00 is written by some feeds for the end of a day. */
        *out = time_from_civil(b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour, b.tm_min,
                               b.tm_sec) -
               t->offset_s;
        return 0;
}

/* Builds a gauge from cells (one per column, NULL where not configured). */
static void row_to_gauge(const struct table *t, const char *const cells[N_COLS], size_t rowno,
                         struct gauge_set *out, struct parse_notes *notes, int *rc)
{
        struct gauge g;
        gauge_clear(&g);
        river_copy_str(g.id, sizeof(g.id), cells[C_ID]);
        if (!g.id[0]) {
                parse_note(notes, "row %zu: no station id", rowno);
                return;
        }
        river_copy_str(g.name, sizeof(g.name), cells[C_NAME]);
        river_copy_str(g.river, sizeof(g.river), cells[C_RIVER]);
        river_copy_str(g.town, sizeof(g.town), cells[C_TOWN]);
        bool bad = false;
        if (cells[C_LAT] && cells[C_LON]) {
                g.lat = cell_num(t, cells[C_LAT], &bad);
                g.lon = cell_num(t, cells[C_LON], &bad);
        }
        double *th[N_COLS] = {0};
        th[C_STANDBY] = &g.th.standby;
        th[C_CAUTION] = &g.th.caution;
        th[C_EVACUATION] = &g.th.evacuation;
        th[C_DANGER] = &g.th.danger;
        th[C_FLOOD] = &g.th.flood;
        th[C_START] = &g.th.start;
        for (int c = C_STANDBY; c <= C_START; c++)
                if (cells[c])
                        *th[c] = cell_num(t, cells[c], &bad);
        if (bad) {
                parse_note(notes, "row %zu (%s): a point or threshold is not a number", rowno,
                           g.id);
                return;
        }
        g.level_m = cells[C_LEVEL] ? cell_num(t, cells[C_LEVEL], &bad) : NAN;
        if (bad) {
                parse_note(notes, "row %zu (%s): level is not a number", rowno, g.id);
                return;
        }
        if (cell_time(t, cells[C_DATE], cells[C_TIME], &g.observed_s) < 0) {
                parse_note(notes, "row %zu (%s): time not in the configured format", rowno, g.id);
                return;
        }
        g.crisis = !isnan(g.th.start);
        if (gauge_set_add(out, &g) < 0)
                *rc = -ENOMEM;
}

/* ---- CSV ---- */

/* Splits the next record at *p (quotes as RFC 4180); fields point into the
 * record buffer, which is rewritten in place.  Returns the field count, or
 * -1 at the end. */
#define MAX_FIELDS 128
static int csv_record(char **p, char *end, char delim, char *fields[MAX_FIELDS])
{
        char *s = *p;
        if (s >= end)
                return -1;
        int n = 0;
        char *w = s;
        fields[n++] = w;
        bool quoted = false;
        while (s < end) {
                char c = *s++;
                if (quoted) {
                        if (c == '"' && s < end && *s == '"') {
                                *w++ = '"';
                                s++;
                        } else if (c == '"') {
                                quoted = false;
                        } else {
                                *w++ = c;
                        }
                        continue;
                }
                if (c == '"') {
                        quoted = true;
                } else if (c == delim) {
                        *w++ = '\0';
                        if (n < MAX_FIELDS)
                                fields[n++] = w;
                } else if (c == '\n') {
                        break;
                } else if (c != '\r') {
                        *w++ = c;
                }
        }
        *w = '\0';
        *p = s;
        return n;
}

static int parse_csv(const struct table *t, char *text, size_t len, struct gauge_set *out,
                     struct parse_notes *notes)
{
        char *p = text, *end = text + len;
        if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
        char *fields[MAX_FIELDS];
        int n = 0;
        for (int64_t line = 1; line <= t->conf.header_line; line++)
                if ((n = csv_record(&p, end, t->delim, fields)) < 0)
                        return -EINVAL;
        int idx[N_COLS];
        for (int c = 0; c < N_COLS; c++) {
                idx[c] = -1;
                if (!t->conf.col[c][0])
                        continue;
                for (int f = 0; f < n; f++) {
                        char name[128];
                        river_copy_str(name, sizeof(name), fields[f]);
                        if (strcmp(name, t->conf.col[c]) == 0)
                                idx[c] = f;
                }
                /* A configured column that is not in the header means the
                 * document is not the one described: refuse it whole. */
                if (idx[c] < 0)
                        return -EINVAL;
        }
        int rc = 0;
        size_t rowno = (size_t)t->conf.header_line;
        while (rc == 0 && (n = csv_record(&p, end, t->delim, fields)) >= 0) {
                rowno++;
                if (n == 1 && fields[0][0] == '\0')
                        continue; /* blank line */
                const char *cells[N_COLS] = {0};
                bool short_row = false;
                for (int c = 0; c < N_COLS; c++) {
                        if (idx[c] < 0)
                                continue;
                        if (idx[c] >= n)
                                short_row = true;
                        else
                                cells[c] = fields[idx[c]];
                }
                if (short_row) {
                        parse_note(notes, "row %zu: %d fields, fewer than the header", rowno, n);
                        continue;
                }
                row_to_gauge(t, cells, rowno, out, notes, &rc);
        }
        return rc;
}

/* ---- JSON ---- */

static int parse_json(const struct table *t, const char *text, size_t len, struct gauge_set *out,
                      struct parse_notes *notes)
{
        json_t *root = json_load_capped(text, len, NULL, 0);
        json_t *rows = root ? json_path(root, t->conf.rows) : NULL;
        if (!json_is_array(rows) && !json_is_object(rows)) {
                json_decref(root);
                return -EINVAL;
        }
        int rc = 0;
        size_t rowno = 0;
        void *iter = json_is_object(rows) ? json_object_iter(rows) : NULL;
        for (;; rowno++) {
                json_t *row;
                const char *key = NULL;
                if (json_is_array(rows)) {
                        if (rowno >= json_array_size(rows))
                                break;
                        row = json_array_get(rows, rowno);
                } else {
                        if (!iter)
                                break;
                        key = json_object_iter_key(iter);
                        row = json_object_iter_value(iter);
                        iter = json_object_iter_next(rows, iter);
                }
                char bufs[N_COLS][64];
                const char *cells[N_COLS] = {0};
                for (int c = 0; c < N_COLS; c++) {
                        const char *path = t->conf.col[c];
                        if (!path[0])
                                continue;
                        if (strcmp(path, "$key") == 0) {
                                cells[c] = key ? key : "";
                                continue;
                        }
                        json_t *v = json_path(row, path);
                        const char *s = v ? json_text(v, bufs[c], sizeof(bufs[c])) : NULL;
                        /* null and absent are "no value", not an error. */
                        cells[c] = s ? s : "";
                }
                row_to_gauge(t, cells, rowno + 1, out, notes, &rc);
                if (rc < 0)
                        break;
        }
        json_decref(root);
        return rc;
}

/* Converts Shift_JIS (read as Windows-31J, which real files use) to UTF-8. */
static int to_utf8(const char *in, size_t len, char **out, size_t *olen)
{
        iconv_t cd = iconv_open("UTF-8", "CP932");
        if (cd == (iconv_t)-1)
                return -errno;
        size_t cap = len * 3 / 2 + 16;
        char *buf = malloc(cap);
        int rc = 0;
        if (!buf) {
                rc = -ENOMEM;
                goto out;
        }
        char *ip = (char *)in, *op = buf;
        size_t il = len, ol = cap - 1;
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
                /* E2BIG cannot happen: one or two SJIS bytes give at most
                 * three UTF-8 bytes.  EILSEQ/EINVAL: not Shift_JIS. */
                free(buf);
                buf = NULL;
                rc = -EILSEQ;
                goto out;
        }
        *op = '\0';
        *out = buf;
        *olen = (size_t)(op - buf);
out:
        iconv_close(cd);
        return rc;
}

static int table_parse(const char *body, size_t len, struct gauge_set *out,
                       struct parse_notes *notes, void *arg)
{
        const struct table *t = arg;
        char *text = NULL;
        size_t tl = 0;
        int rc;
        if (t->sjis) {
                if ((rc = to_utf8(body, len, &text, &tl)) < 0)
                        return rc;
        } else {
                text = malloc(len + 1);
                if (!text)
                        return -ENOMEM;
                memcpy(text, body, len);
                text[len] = '\0';
                tl = len;
        }
        rc = t->json ? parse_json(t, text, tl, out, notes) : parse_csv(t, text, tl, out, notes);
        free(text);
        return rc;
}

int table_parse_with(const void *table, const char *body, size_t len, struct gauge_set *out,
                     struct parse_notes *notes)
{
        return table_parse(body, len, out, notes, (void *)table);
}

static int table_configure(const struct conf_instance *in, const struct sonae_config *cfg,
                           struct conf_diag *diag, void **state)
{
        struct table *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        *state = t;
        if (source_conf_apply(table_options, &t->conf, in, cfg, diag) < 0)
                return -EINVAL;
        int rc = 0;
        t->json = strcmp(t->conf.format, "json") == 0;
        t->sjis = strcmp(t->conf.encoding, "shift_jis") == 0;
        const char *d = t->conf.delimiter;
        if (strcmp(d, "\\t") == 0)
                t->delim = '\t';
        else if (strlen(d) == 1 && d[0] != '"' && d[0] != '\n')
                t->delim = d[0];
        else
                rc = source_conf_error(in, cfg, diag, "delimiter", "one character, or \\t");
        if (!in->url || !in->url[0])
                rc = source_conf_error(in, cfg, diag, "url", "table needs a url");
        if (!t->conf.col[C_ID][0])
                rc = source_conf_error(in, cfg, diag, "col_id", "the station id column is needed");
        if (!t->conf.col[C_TIME][0])
                rc = source_conf_error(in, cfg, diag, "col_time", "the time column is needed");
        if (!t->conf.col[C_LEVEL][0])
                rc = source_conf_error(in, cfg, diag, "col_level", "the level column is needed");
        if (!t->json && strcmp(t->conf.col[C_ID], "$key") == 0)
                rc = source_conf_error(in, cfg, diag, "col_id", "$key is for JSON objects only");
        int64_t off;
        char probe[64];
        snprintf(probe, sizeof(probe), "2000-01-01T00:00:00%s", t->conf.time_zone);
        if (time_parse_iso8601(probe, INT32_MIN, &off) < 0)
                rc = source_conf_error(in, cfg, diag, "time_zone", "an offset such as +09:00");
        else
                t->offset_s = (int32_t)(time_from_civil(2000, 1, 1, 0, 0, 0) - off);
        if (strcmp(t->conf.time_format, "iso8601") != 0 && !strchr(t->conf.time_format, '%'))
                rc = source_conf_error(in, cfg, diag, "time_format",
                                       "iso8601, or a strptime pattern with %% fields");
        if (rc < 0)
                return rc;
        t->writer = river_writer_new(in->name, t->conf.expected_interval, false);
        return t->writer ? 0 : -ENOMEM;
}

static enum poll_status table_poll(void *state, struct source_ctx *ctx)
{
        struct table *t = state;
        return river_poll(ctx, t->writer, table_parse, t,
                          t->json ? "JSON document of the configured shape"
                                  : "CSV document with the configured columns");
}

static void table_destroy(void *state)
{
        struct table *t = state;
        if (!t)
                return;
        river_writer_free(t->writer);
        conf_table_free(table_options, &t->conf);
        free(t);
}

const struct source_type source_table = {
    .name = "table",
    .summary = "Prefectural or municipal CSV/JSON water levels, mapped by config.",
    .options = table_options,
    .configure = table_configure,
    .poll = table_poll,
    .destroy = table_destroy,
};
