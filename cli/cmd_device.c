/* sonae device add|list|set|rotate|calibrate: the city's sensor nodes.
 *
 * `add` creates the device in the store with its first calibration, a
 * fresh secret, the broker's password-file entry (Mosquitto's PBKDF2-SHA512
 * "$7$" format, as mosquitto_passwd writes it), the %u ACL patterns, and a
 * provisioning file for the node (docs/sensors.md).  The secret is written
 * only into the provisioning file; the store keeps its hash.  The broker
 * reads its password file on start and on SIGHUP. */
#include "cli.h"
#include "config.h"
#include "senml.h"
#include "store.h"
#include "store_devices.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <mosquitto.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_BYTES 18 /* 24 characters of base64 */
#define LINE_MAX_    1024

static const char acl_text[] =
    "# Written by `sonae device`: each node may write only its own up and\n"
    "# status and read only its own down (%u is the node's user name).\n"
    "pattern write sonae/v1/nodes/%u/up\n"
    "pattern write sonae/v1/nodes/%u/status\n"
    "pattern read sonae/v1/nodes/%u/down\n";

/* A device id both the SenML format and the store accept. */
static bool device_id_ok(const char *id)
{
        if (!senml_device_valid(id))
                return false;
        return strchr(id, '.') == NULL;
}

static void b64(const unsigned char *in, size_t n, char *out)
{
        EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* A fresh secret: base64 of random bytes, with '+' and '/' made URL-safe
 * so that it survives any config syntax on the node. */
static int new_secret(char out[SECRET_BYTES * 4 / 3 + 1])
{
        unsigned char raw[SECRET_BYTES];

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        b64(raw, sizeof(raw), out);
        for (char *p = out; *p; p++)
                if (*p == '+')
                        *p = '-';
                else if (*p == '/')
                        *p = '_';
        return 0;
}

/* Mosquitto's "$7$101$salt$hash" (PBKDF2-HMAC-SHA512, 101 rounds). */
static int password_hash(const char *secret, char *out, size_t cap)
{
        unsigned char salt[12], hash[64];
        char s64[32], h64[96];

        if (RAND_bytes(salt, sizeof(salt)) != 1)
                return -EIO;
        if (PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, sizeof(salt), 101, EVP_sha512(),
                              sizeof(hash), hash) != 1)
                return -EIO;
        b64(salt, sizeof(salt), s64);
        b64(hash, sizeof(hash), h64);
        if ((size_t)snprintf(out, cap, "$7$101$%s$%s", s64, h64) >= cap)
                return -ENOSPC;
        return 0;
}

/* Replaces (or adds) user's line in a Mosquitto password file, atomically. */
static int passwd_set(const char *path, const char *user, const char *hash)
{
        char tmp[4096], line[LINE_MAX_];
        size_t ul = strlen(user);
        FILE *in, *out;
        int r = 0, fd;

        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        out = fdopen(fd, "w");
        if (!out) {
                close(fd);
                return -errno;
        }
        in = fopen(path, "r");
        if (in) {
                while (fgets(line, sizeof(line), in))
                        if (!(strncmp(line, user, ul) == 0 && line[ul] == ':'))
                                fputs(line, out);
                fclose(in);
        } else if (errno != ENOENT) {
                r = -errno;
        }
        fprintf(out, "%s:%s\n", user, hash);
        if (fflush(out) != 0 || fsync(fileno(out)) != 0)
                r = r ? r : -errno;
        if (fclose(out) != 0)
                r = r ? r : -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

/* Makes sure the ACL file holds the node patterns (written once). */
static int acl_ensure(const char *path)
{
        char buf[8192];
        size_t n = 0;
        FILE *f = fopen(path, "r");

        if (f) {
                n = fread(buf, 1, sizeof(buf) - 1, f);
                buf[n] = 0;
                fclose(f);
                if (strstr(buf, "pattern write sonae/v1/nodes/%u/up"))
                        return 0;
        }
        f = fopen(path, "a");
        if (!f)
                return -errno;
        fputs(acl_text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static int ca_fingerprint(const char *path, char *out, size_t cap)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        FILE *f;
        X509 *x;

        out[0] = 0;
        if (!path || !path[0])
                return 0;
        f = fopen(path, "r");
        if (!f)
                return -errno;
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        if (!x)
                return -EINVAL;
        if (X509_digest(x, EVP_sha256(), md, &n) != 1) {
                X509_free(x);
                return -EIO;
        }
        X509_free(x);
        for (unsigned i = 0; i < n && 3 * i + 3 <= cap; i++)
                snprintf(out + 3 * i, cap - 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
        return 0;
}

static int write_provisioning(const struct sonae_config *cfg, const char *id, const char *secret,
                              double mount_m, char *path, size_t cap)
{
        const struct conf_mqtt *m = &cfg->mqtt;
        char fp[EVP_MAX_MD_SIZE * 3 + 1];
        int r, fd;
        FILE *f;

        r = ca_fingerprint(m->tls_ca, fp, sizeof(fp));
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot read [mqtt] tls_ca %s: %s\n", m->tls_ca,
                        strerror(-r));
                return r;
        }
        r = cli_mkdirs(m->provision_dir, 0700);
        if (r < 0)
                return r;
        if ((size_t)snprintf(path, cap, "%s/%s.conf", m->provision_dir, id) >= cap)
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }
        fprintf(f,
                "# Sonae sensor node provisioning (docs/sensors.md).  Holds the node's\n"
                "# secret: copy it to the node, then keep it offline.\n"
                "device=%s\nusername=%s\npassword=%s\nhost=%s\nport=%" PRId64 "\n"
                "ca_sha256=%s\nmount_mm=%.0f\n",
                id, id, secret, m->node_host && m->node_host[0] ? m->node_host : m->host,
                m->node_port, fp, mount_m * 1000.0);
        return fclose(f) == 0 ? 0 : -errno;
}

/* A new secret and its hash (nothing written yet). */
static int new_credentials(char *secret, char *hash, size_t hcap)
{
        int r = new_secret(secret);

        if (r == 0)
                r = password_hash(secret, hash, hcap);
        if (r < 0)
                fprintf(stderr, "sonae device: cannot make a secret: %s\n", strerror(-r));
        return r;
}

static int write_passwd(const struct sonae_config *cfg, const char *id, const char *hash)
{
        int r = passwd_set(cfg->mqtt.broker_password_file, id, hash);

        if (r < 0)
                fprintf(stderr, "sonae device: cannot write %s: %s\n",
                        cfg->mqtt.broker_password_file, strerror(-r));
        return r;
}

static int parse_time(const char *s, int64_t *t)
{
        if (strcmp(s, "now") == 0) {
                *t = time_now_ms() / 1000;
                return 0;
        }
        /* Times without an offset are Japan time, as people read them. */
        return time_parse_iso8601(s, 9 * 3600, t);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
                return -EINVAL;
        *out = v;
        return 0;
}

/* The settings of the retained down (docs/protocol.md): key, bounds,
 * integer or not. */
static const struct {
        const char *opt, *key;
        double lo, hi;
        bool integer;
} down_keys[] = {
    {"measure-s", "measure_s", 60, 3600, true}, {"heartbeat-s", "heartbeat_s", 3600, 172800, true},
    {"flood-s", "flood_s", 60, 3600, true},     {"start-level", "start_level_m", -20, 50, false},
    {"rise", "rise_m_per_h", 0.01, 10, false},
};
#define N_DOWN (sizeof(down_keys) / sizeof(down_keys[0]))

struct dev_args {
        const char *station, *name, *at, *enabled;
        double mount, ref, lon, lat, interval;
        bool has_mount, has_ref, has_lon, has_lat, has_interval;
        double down[N_DOWN];
        bool has_down[N_DOWN];
        bool any_down;
};

static int parse_args(int argc, char **argv, struct dev_args *a)
{
        static const struct option opts[] = {
            {"station", required_argument, NULL, 's'},
            {"mount-height", required_argument, NULL, 'm'},
            {"reference-level", required_argument, NULL, 'r'},
            {"at", required_argument, NULL, 'a'},
            {"name", required_argument, NULL, 'N'},
            {"lon", required_argument, NULL, 'x'},
            {"lat", required_argument, NULL, 'y'},
            {"interval", required_argument, NULL, 'i'},
            {"enabled", required_argument, NULL, 'e'},
            {"measure-s", required_argument, NULL, 1000},
            {"heartbeat-s", required_argument, NULL, 1001},
            {"flood-s", required_argument, NULL, 1002},
            {"start-level", required_argument, NULL, 1003},
            {"rise", required_argument, NULL, 1004},
            {0},
        };
        int c;

        memset(a, 0, sizeof(*a));
        optind = 0; /* 0: GNU getopt starts afresh, permuting again */
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                int r = 0;
                if (c >= 1000 && c < 1000 + (int)N_DOWN) {
                        size_t k = (size_t)(c - 1000);
                        if (parse_double(optarg, down_keys[k].lo, down_keys[k].hi, &a->down[k]) <
                                0 ||
                            (down_keys[k].integer && a->down[k] != floor(a->down[k]))) {
                                fprintf(stderr, "sonae device: --%s must be %s %g..%g\n",
                                        down_keys[k].opt,
                                        down_keys[k].integer ? "an integer in" : "a number in",
                                        down_keys[k].lo, down_keys[k].hi);
                                return -EINVAL;
                        }
                        a->has_down[k] = true;
                        a->any_down = true;
                        continue;
                }
                switch (c) {
                case 's':
                        a->station = optarg;
                        break;
                case 'a':
                        a->at = optarg;
                        break;
                case 'N':
                        a->name = optarg;
                        break;
                case 'e':
                        a->enabled = optarg;
                        break;
                case 'm':
                        r = parse_double(optarg, -100, 1000, &a->mount), a->has_mount = true;
                        break;
                case 'r':
                        r = parse_double(optarg, -100, 1000, &a->ref), a->has_ref = true;
                        break;
                case 'x':
                        r = parse_double(optarg, -180, 180, &a->lon), a->has_lon = true;
                        break;
                case 'y':
                        r = parse_double(optarg, -90, 90, &a->lat), a->has_lat = true;
                        break;
                case 'i':
                        r = parse_double(optarg, 10, 604800, &a->interval), a->has_interval = true;
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "sonae device: bad value for --%s: %s\n",
                                opts[c == 'm'   ? 1
                                     : c == 'r' ? 2
                                     : c == 'x' ? 5
                                     : c == 'y' ? 6
                                                : 7]
                                    .name,
                                optarg);
                        return -EINVAL;
                }
        }
        return 0;
}

/* The sensor station S (source "sensors"), created when --lon/--lat given. */
static int station_resolve(struct store *st, const struct dev_args *a, int64_t *id)
{
        int r = store_station_find(st, "sensors", a->station, id);
        struct store_station s;

        if (r != -ENOENT)
                return r;
        if (!a->has_lon || !a->has_lat) {
                fprintf(stderr,
                        "sonae device: no sensor station %s; give --lon and --lat (and --name) "
                        "to create it\n",
                        a->station);
                return -ENOENT;
        }
        memset(&s, 0, sizeof(s));
        s.kind = "sensor";
        s.source = "sensors";
        s.external_id = a->station;
        s.name = a->name ? a->name : a->station;
        s.quantity = "water_level_m";
        s.lon = a->lon;
        s.lat = a->lat;
        s.thr.standby = s.thr.caution = s.thr.evacuation = s.thr.danger = s.thr.flood =
            s.thr.start = NAN;
        s.expected_interval_s = a->has_interval ? (int64_t)a->interval : 600;
        return store_station_upsert(st, &s, id);
}

static int open_all(const struct cli_common *common, struct sonae_config **cfg, struct store **st)
{
        int r = daemon_load_config(common->config, NULL, cfg);

        if (r < 0)
                return r;
        r = store_open_config(*cfg, st);
        if (r < 0)
                fprintf(stderr, "sonae device: cannot open the store: %s\n", store_strerror(r));
        return r;
}

static int device_add(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct dev_args a;
        struct store_device d;
        struct store_calibration cal;
        char secret[64], hash[256], path[4096];
        const char *id;
        int64_t sid = 0, did = 0;
        int r;

        if (parse_args(argc, argv, &a) < 0 || optind != argc - 1 || !a.station || !a.has_mount) {
                fprintf(stderr, "usage: sonae device add ID --station S --mount-height M "
                                "[--lon X --lat Y --name N --interval S]\n");
                return 2;
        }
        id = argv[optind];
        if (!device_id_ok(id)) {
                fprintf(stderr, "sonae device: bad device id %s (1-48 of A-Z a-z 0-9 _ -)\n", id);
                return 2;
        }
        r = open_all(common, &cfg, &st);
        if (r < 0)
                goto out;
        memset(&d, 0, sizeof(d));
        if (store_device_get(st, id, &d) == 0) {
                store_device_free(&d);
                fprintf(stderr, "sonae device: %s exists (use rotate for new credentials)\n", id);
                r = -EEXIST;
                goto out;
        }
        r = station_resolve(st, &a, &sid);
        if (r < 0)
                goto out;
        r = new_credentials(secret, hash, sizeof(hash));
        if (r < 0)
                goto out;
        memset(&d, 0, sizeof(d));
        d.device = id;
        d.station_id = sid;
        d.secret_hash = hash;
        d.enabled = true;
        r = store_begin(st);
        if (r == 0)
                r = store_device_add(st, &d, &did);
        memset(&cal, 0, sizeof(cal));
        cal.valid_from = 0;
        cal.mount_height_m = a.mount;
        cal.reference_level_m = NAN;
        cal.note = "sonae device add";
        if (r == 0)
                r = store_calibration_add(st, did, &cal);
        if (r == 0)
                r = store_commit(st);
        else
                store_rollback(st);
        if (r == -EEXIST) {
                fprintf(stderr, "sonae device: %s exists (use rotate for new credentials)\n", id);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot add %s: %s\n", id, store_strerror(r));
                goto out;
        }
        r = write_passwd(cfg, id, hash);
        if (r < 0)
                goto out;
        r = acl_ensure(cfg->mqtt.broker_acl_file);
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot write %s: %s\n", cfg->mqtt.broker_acl_file,
                        strerror(-r));
                goto out;
        }
        r = write_provisioning(cfg, id, secret, a.mount, path, sizeof(path));
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot write the provisioning file: %s\n",
                        strerror(-r));
                goto out;
        }
        printf("added %s (station %s, mount height %.3f m); provisioning file %s\n"
               "reload the broker (SIGHUP) to let it in\n",
               id, a.station, a.mount, path);
out:
        memset(secret, 0, sizeof(secret));
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}

static int device_rotate(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct store_device d;
        struct store_calibration cal;
        char secret[64], hash[256], path[4096];
        int r;

        memset(&d, 0, sizeof(d));
        memset(&cal, 0, sizeof(cal));
        if (argc != 2) {
                fprintf(stderr, "usage: sonae device rotate ID\n");
                return 2;
        }
        r = open_all(common, &cfg, &st);
        if (r < 0)
                goto out;
        r = store_device_get(st, argv[1], &d);
        if (r < 0) {
                fprintf(stderr, "sonae device: %s: %s\n", argv[1], store_strerror(r));
                goto out;
        }
        r = new_credentials(secret, hash, sizeof(hash));
        if (r < 0)
                goto out;
        {
                const char *own = d.secret_hash;
                d.secret_hash = hash;
                r = store_device_update(st, &d);
                d.secret_hash = own; /* freed with d */
        }
        if (r == 0)
                r = write_passwd(cfg, argv[1], hash);
        if (r == 0 && store_calibration_at(st, d.id, INT64_MAX, &cal) < 0)
                cal.mount_height_m = NAN;
        if (r == 0)
                r = write_provisioning(cfg, argv[1], secret, cal.mount_height_m, path,
                                       sizeof(path));
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot rotate %s: %s\n", argv[1], strerror(-r));
                goto out;
        }
        printf("new credentials for %s in %s; reload the broker (SIGHUP)\n", argv[1], path);
out:
        memset(secret, 0, sizeof(secret));
        free((char *)cal.note);
        store_device_free(&d);
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}

/* Writes settings into the device's retained down on the broker, keeping
 * what is there (a resend request, other settings): the current retained
 * message is read first.  Uses sonae-ingestd's broker account ([mqtt]),
 * which may write every down.  Every wait has a deadline. */
struct down_ctx {
        char *current; /* the retained down, NULL if none */
        bool subacked, got, published, failed;
        int mid;
};

static void down_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
        struct down_ctx *c = obj;
        (void)m;
        if (!msg->retain || c->got)
                return;
        c->got = true;
        if (msg->payloadlen > 0 && msg->payloadlen < 4096)
                c->current = strndup(msg->payload, (size_t)msg->payloadlen);
}

static void down_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos)
{
        struct down_ctx *c = obj;
        (void)m, (void)mid;
        c->subacked = true;
        if (n < 1 || qos[0] > 2)
                c->failed = true;
}

static void down_on_publish(struct mosquitto *m, void *obj, int mid)
{
        struct down_ctx *c = obj;
        (void)m;
        if (mid == c->mid)
                c->published = true;
}

static int loop_until(struct mosquitto *m, const bool *flag, const bool *failed, int64_t ms)
{
        int64_t end = time_mono_ms() + ms;
        while (!*flag && !*failed && time_mono_ms() < end)
                if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS)
                        return -EIO;
        return *flag ? 0 : -ETIMEDOUT;
}

static int down_update(const struct sonae_config *cfg, const char *id, const struct dev_args *a)
{
        const struct conf_mqtt *q = &cfg->mqtt;
        struct down_ctx c = {0};
        struct mosquitto *m = NULL;
        char topic[128], password[256] = "";
        json_t *j = NULL;
        char *text = NULL;
        bool never = false;
        int r = -EIO;

        snprintf(topic, sizeof(topic), "sonae/v1/nodes/%s/down", id);
        if (q->password_file && q->password_file[0]) {
                FILE *f = fopen(q->password_file, "r");
                if (!f || !fgets(password, sizeof(password), f)) {
                        fprintf(stderr, "sonae device: cannot read [mqtt] password_file\n");
                        if (f)
                                fclose(f);
                        return -EINVAL;
                }
                fclose(f);
                password[strcspn(password, "\r\n")] = 0;
        }
        mosquitto_lib_init();
        m = mosquitto_new(NULL, true, &c);
        if (!m)
                goto out;
        mosquitto_message_callback_set(m, down_on_message);
        mosquitto_subscribe_callback_set(m, down_on_subscribe);
        mosquitto_publish_callback_set(m, down_on_publish);
        if (q->username && q->username[0])
                mosquitto_username_pw_set(m, q->username, password[0] ? password : NULL);
        if (q->tls_ca && q->tls_ca[0] &&
            mosquitto_tls_set(m, q->tls_ca, NULL,
                              q->tls_cert && q->tls_cert[0] ? q->tls_cert : NULL,
                              q->tls_key && q->tls_key[0] ? q->tls_key : NULL, NULL) != 0)
                goto out;
        if (mosquitto_connect(m, q->host, (int)q->port, 30) != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "sonae device: cannot connect to the broker %s:%" PRId64 "\n",
                        q->host, q->port);
                goto out;
        }
        if (mosquitto_subscribe(m, NULL, topic, 1) != MOSQ_ERR_SUCCESS ||
            loop_until(m, &c.subacked, &c.failed, 5000) < 0 || c.failed)
                goto out;
        /* A retained message comes right after the SUBACK, if there is one. */
        loop_until(m, &c.got, &never, 500);
        j = c.current ? json_loads(c.current, 0, NULL) : NULL;
        if (!j || !json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        for (size_t k = 0; k < N_DOWN; k++)
                if (a->has_down[k])
                        json_object_set_new(j, down_keys[k].key,
                                            down_keys[k].integer
                                                ? json_integer((json_int_t)a->down[k])
                                                : json_real(a->down[k]));
        text = json_dumps(j, JSON_COMPACT);
        if (!text || strlen(text) >= 1024)
                goto out;
        if (mosquitto_publish(m, &c.mid, topic, (int)strlen(text), text, 1, true) !=
                MOSQ_ERR_SUCCESS ||
            loop_until(m, &c.published, &never, 5000) < 0)
                goto out;
        printf("%s: down is now %s\n", id, text);
        r = 0;
out:
        if (r < 0)
                fprintf(stderr, "sonae device: could not write %s on the broker\n", topic);
        free(text);
        json_decref(j);
        free(c.current);
        if (m) {
                mosquitto_disconnect(m);
                mosquitto_destroy(m);
        }
        mosquitto_lib_cleanup();
        memset(password, 0, sizeof(password));
        return r;
}

static int device_set(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct store_device d;
        struct dev_args a;
        const char *id;
        int r;

        memset(&d, 0, sizeof(d));
        if (parse_args(argc, argv, &a) < 0 || optind != argc - 1 ||
            (!a.station && !a.enabled && !a.has_mount && !a.any_down) ||
            (a.enabled && strcmp(a.enabled, "yes") != 0 && strcmp(a.enabled, "no") != 0)) {
                fprintf(stderr, "usage: sonae device set ID [--station S] [--enabled yes|no] "
                                "[--mount-height M [--at TIME]] [--measure-s N] [--heartbeat-s N] "
                                "[--flood-s N] [--start-level M] [--rise M_PER_H]\n");
                return 2;
        }
        id = argv[optind];
        r = open_all(common, &cfg, &st);
        if (r < 0)
                goto out;
        r = store_device_get(st, id, &d);
        if (r < 0) {
                fprintf(stderr, "sonae device: %s: %s\n", id, store_strerror(r));
                goto out;
        }
        r = store_begin(st);
        if (r == 0 && a.station)
                r = station_resolve(st, &a, &d.station_id);
        if (r == 0 && a.enabled)
                d.enabled = strcmp(a.enabled, "yes") == 0;
        if (r == 0 && (a.station || a.enabled))
                r = store_device_update(st, &d);
        if (r == 0 && a.has_mount) {
                struct store_calibration cal = {0, a.mount, NAN, "sonae device set"};
                r = a.at ? parse_time(a.at, &cal.valid_from) : parse_time("now", &cal.valid_from);
                if (r == 0)
                        r = store_calibration_add(st, d.id, &cal);
        }
        if (r == 0)
                r = store_commit(st);
        else
                store_rollback(st);
        if (r < 0) {
                fprintf(stderr, "sonae device: cannot set %s: %s\n", id, store_strerror(r));
                goto out;
        }
        if (a.any_down)
                r = down_update(cfg, id, &a);
        if (r == 0)
                printf("updated %s\n", id);
out:
        store_device_free(&d);
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}

/* calibrate: the staff gauge read M at TIME; the sensor measured a
 * distance then, so the mount height is M + that distance, in force from
 * TIME on. */
static int device_calibrate(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct store_device d;
        struct store_obs_list ol = {0};
        struct dev_args a;
        int64_t at = 0, best_dt = INT64_MAX;
        double dist = NAN;
        const char *id;
        int r;

        memset(&d, 0, sizeof(d));
        if (parse_args(argc, argv, &a) < 0 || optind != argc - 1 || !a.has_ref || !a.at) {
                fprintf(stderr, "usage: sonae device calibrate ID --reference-level M --at TIME\n");
                return 2;
        }
        id = argv[optind];
        if (parse_time(a.at, &at) < 0) {
                fprintf(stderr,
                        "sonae device: bad --at %s (ISO-8601, e.g. 2026-11-23T10:00+09:00)\n",
                        a.at);
                return 2;
        }
        r = open_all(common, &cfg, &st);
        if (r < 0)
                goto out;
        r = store_device_get(st, id, &d);
        if (r == 0 && d.station_id <= 0)
                r = -ENOENT;
        if (r < 0) {
                fprintf(stderr, "sonae device: %s: no such device with a station\n", id);
                goto out;
        }
        /* The sensor's distance nearest to TIME, within an hour. */
        r = store_observations_range(st, d.station_id, "distance_m", at - 3600, at + 3601, 0, &ol);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < ol.n; i++) {
                int64_t dt = llabs(ol.v[i].observed_at - at);
                if (dt < best_dt) {
                        best_dt = dt;
                        dist = ol.v[i].value;
                }
        }
        if (isnan(dist)) {
                fprintf(stderr, "sonae device: %s has no distance reading within an hour of %s\n",
                        id, a.at);
                r = -ENOENT;
                goto out;
        }
        {
                struct store_calibration cal = {at, a.ref + dist, a.ref, "sonae device calibrate"};
                r = store_calibration_add(st, d.id, &cal);
                if (r < 0) {
                        fprintf(stderr, "sonae device: cannot add the calibration: %s\n",
                                store_strerror(r));
                        goto out;
                }
                printf("%s: mount height %.3f m from %s (staff gauge %.3f m, distance %.3f m "
                       "measured %" PRId64 " s from it)\n",
                       id, cal.mount_height_m, a.at, a.ref, dist, best_dt);
        }
out:
        store_obs_list_free(&ol);
        store_device_free(&d);
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}

static int device_list(int argc, char **argv, const struct cli_common *common)
{
        struct sonae_config *cfg = NULL;
        struct store *st = NULL;
        struct store_device_list l = {0};
        struct store_gap_list gl = {0};
        int64_t now = time_now_ms() / 1000;
        int r;

        (void)argv;
        if (argc != 1) {
                fprintf(stderr, "usage: sonae device list\n");
                return 2;
        }
        r = open_all(common, &cfg, &st);
        if (r == 0)
                r = store_devices_list(st, &l);
        if (r == 0)
                r = store_gaps_open_list(st, 0, &gl);
        if (r < 0)
                goto out;
        printf("device\tstation\tenabled\thealth\tlast_seen\tmount_m\tbatt_v\trssi_dbm\tfw\t"
               "open_gaps\toldest_gap_s\n");
        for (size_t i = 0; i < l.n; i++) {
                const struct store_device *d = &l.v[i];
                struct store_calibration cal = {0};
                char seen[40] = "-";
                size_t gaps = 0;
                int64_t oldest = 0;

                if (d->last_seen_at > 0)
                        time_format_iso8601(d->last_seen_at, 9 * 3600, 0, seen, sizeof(seen));
                if (store_calibration_at(st, d->id, now, &cal) < 0)
                        cal.mount_height_m = NAN;
                free((char *)cal.note);
                for (size_t k = 0; k < gl.n; k++)
                        if (gl.v[k].device_id == d->id) {
                                gaps++;
                                if (now - gl.v[k].opened_at > oldest)
                                        oldest = now - gl.v[k].opened_at;
                        }
                char mount[24] = "-", batt[24] = "-", rssi[24] = "-";
                if (!isnan(cal.mount_height_m))
                        snprintf(mount, sizeof(mount), "%.3f", cal.mount_height_m);
                if (!isnan(d->batt_v))
                        snprintf(batt, sizeof(batt), "%.2f", d->batt_v);
                if (!isnan(d->rssi_dbm))
                        snprintf(rssi, sizeof(rssi), "%.0f", d->rssi_dbm);
                printf("%s\t%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%zu\t%" PRId64 "\n", d->device,
                       d->station_id, d->enabled ? "yes" : "no", d->health ? d->health : "unknown",
                       seen, mount, batt, rssi, d->fw ? d->fw : "-", gaps, oldest);
        }
out:
        if (r < 0 && cfg)
                fprintf(stderr, "sonae device list: %s\n", store_strerror(r));
        store_gap_list_free(&gl);
        store_device_list_free(&l);
        store_close(st);
        conf_free(cfg);
        return r < 0 ? 1 : 0;
}

int cmd_device(int argc, char **argv, const struct cli_common *common)
{
        static const struct {
                const char *name;
                int (*run)(int, char **, const struct cli_common *);
        } subs[] = {
            {"add", device_add},       {"list", device_list},           {"set", device_set},
            {"rotate", device_rotate}, {"calibrate", device_calibrate},
        };

        if (argc >= 2)
                for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
                        if (strcmp(argv[1], subs[i].name) == 0)
                                return subs[i].run(argc - 1, argv + 1, common);
        fprintf(stderr, "usage: sonae device add|list|set|rotate|calibrate ...\n");
        return 2;
}
