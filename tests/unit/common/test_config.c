/* common/config: every option type, every kind of mistake, and the
 * diagnostics naming file, line and key. */
#include "check.h"
#include "config.h"

#include <errno.h>
#include <unistd.h>

static char dir[] = "/tmp/sonae-test-config-XXXXXX";

static int load(const char *text, struct sonae_config **cfg, struct conf_diag *d)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/sonae.conf", dir);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        conf_diag_init(d);
        return conf_load(path, cfg, d);
}

struct bad {
        const char *text;
        int ok;          /* 1 if it loads (warnings only) */
        unsigned errors; /* expected count */
        unsigned warnings;
        const char *expect; /* substring of the diagnostics: ":LINE: ... [sec] key" */
};

static const struct bad cases[] = {
    /* Valid, with every type written. */
    {"[store]\nbackend = spatialite\npath = db/s.db\n[portal]\nmax_body = 2048\n"
     "[jma]\nexercise = yes\n[demo]\nspeed = 120.5\n",
     1, 0, 0, NULL},
    /* Integer out of bounds, above and below. */
    {"[portal]\nmax_body = 1\n", 0, 1, 0, ":2: error: [portal] max_body: 1 is out of bounds"},
    {"[mqtt]\n\nport = 70000\n", 0, 1, 0, ":3: error: [mqtt] port: 70000 is out of bounds"},
    {"[mqtt]\nport = 18x3\n", 0, 1, 0, ":2: error: [mqtt] port: '18x3' is not an integer"},
    /* Double out of bounds and not a number. */
    {"[demo]\nspeed = 0.5\n", 0, 1, 0, ":2: error: [demo] speed: 0.5 is out of bounds"},
    {"[demo]\nspeed = fast\n", 0, 1, 0, ":2: error: [demo] speed: 'fast' is not a number"},
    {"[demo]\nspeed = nan\n", 0, 1, 0, "[demo] speed: 'nan' is not a number"},
    /* Bad enum. */
    {"[store]\nbackend = nonsense\n", 0, 1, 0,
     ":2: error: [store] backend: 'nonsense' is not one of spatialite|postgis"},
    /* Bad bool. */
    {"[jma]\nexercise = maybe\n", 0, 1, 0, ":2: error: [jma] exercise: 'maybe' is not a boolean"},
    /* Missing required key (type of a source). */
    {"[source.river]\nurl = http://127.0.0.1/x.json\n", 0, 1, 0,
     "[source.river] type: required key is missing"},
    /* Duplicate key, in a fixed section and in a source. */
    {"[log]\nlevel = info\nlevel = debug\n", 0, 1, 0,
     ":3: error: [log] level: duplicate key (first set on line 2)"},
    {"[source.a]\ntype = kriver\nstation = 1\nstation = 2\n", 0, 1, 0,
     ":4: error: [source.a] station: duplicate key (first set on line 3)"},
    /* Unknown key and unknown section: warnings only. */
    {"[portal]\ncolour = blue\n", 1, 0, 1, ":2: warning: [portal] colour: unknown key"},
    {"[weather]\nx = 1\n", 1, 0, 1, ":2: warning: [weather]: unknown section"},
    /* A line that is not INI. */
    {"[store]\nthis is not ini\n", 0, 1, 0, ":2: error: not a section header"},
    /* Cross-field checks. */
    {"[store]\nbackend = postgis\n", 0, 1, 0, "[store] dsn: backend = postgis needs a dsn"},
    {"[portal]\nlisten = 8080\n", 0, 1, 0, "[portal] listen: '8080' is not HOST:PORT"},
    /* Ingest partitioning: an index not below the count (index 3 of 3)
     * names both keys; a count of 0 or 65 and a negative index are out
     * of bounds; the last instance of 64 is fine. */
    {"[mqtt]\ninstance_index = 3\ninstance_count = 3\n", 0, 1, 0,
     "[mqtt] instance_index: instance_index = 3 must be below instance_count = 3"},
    {"[mqtt]\ninstance_count = 0\n", 0, 1, 0,
     ":2: error: [mqtt] instance_count: 0 is out of bounds"},
    {"[mqtt]\ninstance_count = 65\n", 0, 1, 0, "[mqtt] instance_count: 65 is out of bounds"},
    {"[mqtt]\ninstance_index = -1\n", 0, 1, 0, "[mqtt] instance_index: -1 is out of bounds"},
    {"[mqtt]\ninstance_index = 63\ninstance_count = 64\n", 1, 0, 0, NULL},
    /* A bad source type. */
    {"[source.x]\ntype = ftp\n", 0, 1, 0, ":2: error: [source.x] type: 'ftp' is not one of"},
    {"[notify.x]\ntype = fax\n", 0, 1, 0, ":2: error: [notify.x] type: 'fax' is not one of"},
    /* Several errors are all reported, not just the first. */
    {"[mqtt]\nport = 0\n[demo]\nspeed = 0\n[store]\nbackend = x\n", 0, 3, 0,
     ":6: error: [store] backend"},
};

int main(void)
{
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sonae_config *cfg = NULL;
                struct conf_diag d;
                int r = load(cases[i].text, &cfg, &d);
                const char *text = d.text.data ? d.text.data : "";
                int bad = 0;
                if ((r == 0) != cases[i].ok || d.errors != cases[i].errors ||
                    d.warnings != cases[i].warnings ||
                    (cases[i].expect && !strstr(text, cases[i].expect)))
                        bad = 1;
                CHECK(!bad);
                if (bad)
                        fprintf(stderr, "case %zu: rc %d, %u errors, %u warnings:\n%s", i, r,
                                d.errors, d.warnings, text);
                /* Every diagnostic names the file. */
                if (d.text.len) {
                        char prefix[300];
                        snprintf(prefix, sizeof(prefix), "%s/sonae.conf:", dir);
                        CHECK(strncmp(text, prefix, strlen(prefix)) == 0);
                }
                CHECK((cfg != NULL) == (r == 0));
                conf_free(cfg);
                conf_diag_free(&d);
        }

        /* Values and defaults land in the struct; relative paths resolve
         * against the config's folder. */
        struct sonae_config *cfg = NULL;
        struct conf_diag d;
        CHECK_INT(load("[store]\npath = db/s.db\n[portal]\nmax_body = 2048\n[jma]\nexercise = "
                       "yes\n[demo]\nspeed = 120.5\n[source.kriver-06]\ntype = kriver\n"
                       "interval = 600\nenabled = false\npref = 06\n[notify.mail]\ntype = smtp\n",
                       &cfg, &d),
                  0);
        if (cfg) {
                char want[300];
                snprintf(want, sizeof(want), "%s/db/s.db", dir);
                CHECK_STR(cfg->store.path, want);
                CHECK_STR(cfg->store.backend, "spatialite");
                CHECK_STR(cfg->store.synchronous, "normal");
                CHECK_INT(cfg->portal.max_body, 2048);
                CHECK_STR(cfg->portal.listen, "127.0.0.1:8080");
                CHECK(cfg->jma.exercise);
                CHECK_NEAR(cfg->demo.speed, 120.5, 1e-9);
                CHECK_INT(cfg->mqtt.port, 1883);
                CHECK_INT((int)cfg->n_sources, 1);
                CHECK_STR(cfg->sources[0].name, "kriver-06");
                CHECK_STR(cfg->sources[0].type, "kriver");
                CHECK(!cfg->sources[0].enabled);
                CHECK_INT(cfg->sources[0].interval, 600);
                CHECK_STR(conf_instance_get(&cfg->sources[0], "pref"), "06");
                CHECK(conf_instance_get(&cfg->sources[0], "nothing") == NULL);
                CHECK_INT((int)cfg->n_notifiers, 1);
                CHECK(cfg->notifiers[0].enabled);
        }
        conf_free(cfg);
        conf_diag_free(&d);

        /* A line longer than inih's buffer is an error, not a silent cut. */
        char longline[600];
        memset(longline, 'a', sizeof(longline));
        memcpy(longline, "[jma]\nbase_url = ", 17);
        memcpy(longline + sizeof(longline) - 2, "\n", 2);
        cfg = NULL;
        CHECK(load(longline, &cfg, &d) < 0);
        CHECK(d.text.data && strstr(d.text.data, ":2: error: line longer than"));
        conf_diag_free(&d);

        /* A missing file. */
        conf_diag_init(&d);
        CHECK_INT(conf_load("/nonexistent/sonae.conf", &cfg, &d), -ENOENT);
        CHECK(cfg == NULL);
        conf_diag_free(&d);

        /* The generated sample loads with neither error nor warning. */
        struct buf b = BUF_INIT(0);
        CHECK_INT(conf_write_sample(&b), 0);
        CHECK_INT(load(b.data, &cfg, &d), 0);
        CHECK_INT(d.errors, 0);
        CHECK_INT(d.warnings, 0);
        if (cfg) {
                for (size_t i = 0; i < cfg->n_sources; i++)
                        CHECK(!cfg->sources[i].enabled);
        }
        conf_free(cfg);
        conf_diag_free(&d);
        buf_free(&b);

        /* conf_apply_table works for a part's own table too. */
        struct own {
                int64_t n;
                char *s;
        } own = {0};
        static const struct conf_option table[] = {
            {"n", CONF_INT, offsetof(struct own, n), "5", 1, 10, NULL, false, "n"},
            {"s", CONF_STRING, offsetof(struct own, s), "x", 0, 0, NULL, false, "s"},
            {0},
        };
        struct conf_kv kv[] = {{"n", "11", 7}};
        conf_diag_init(&d);
        CHECK(conf_apply_table(table, &own, kv, 1, dir, "f.conf", "source.y", &d) < 0);
        CHECK(d.text.data && strstr(d.text.data, "f.conf:7: error: [source.y] n:"));
        CHECK_STR(own.s, "x");
        conf_table_free(table, &own);
        conf_diag_free(&d);

        char path[300];
        snprintf(path, sizeof(path), "%s/sonae.conf", dir);
        unlink(path);
        rmdir(dir);
        return check_done("test_config");
}
