/* sonae-ingestd: reads the city's sensor nodes from the MQTT broker and
 * writes every reading to the store exactly once.
 *
 * libmosquitto's threaded loop calls on_message; the message is committed
 * to the store (WAL, synchronous=normal) before on_message returns, and
 * only then does the library send the PUBACK.  With a fixed client id and
 * a persistent session (clean_session false) the broker keeps everything
 * not yet acknowledged across a crash of this process, and redelivers it;
 * readings are keyed (device, epoch, seq), so a redelivery is a harmless
 * duplicate.  The main thread's tick and the MQTT thread share the store
 * under one mutex. */
#include "config.h"
#include "daemon.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASSWORD_MAX  256
#define CLIENT_ID_MAX 256

struct ingestd {
        struct store *st;
        struct ingest *in;
        struct mosquitto *mosq;
        pthread_mutex_t lock;
        atomic_bool stopping;
        atomic_bool connected;
        struct log_complain trouble;
        int64_t last_stats, last_checkpoint;
};

static int64_t now_s(void)
{
        return time_now_ms() / 1000;
}

static int publish_down(void *ctx, const char *topic, const char *payload)
{
        struct ingestd *s = ctx;
        int r;

        if (!s->mosq || !atomic_load(&s->connected))
                return -ENOTCONN;
        r = mosquitto_publish(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, true);
        if (r != MOSQ_ERR_SUCCESS) {
                log_warn("could not publish %s: %s", topic, mosquitto_strerror(r));
                return -EIO;
        }
        return 0;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
        struct ingestd *s = obj;
        int r;

        if (rc != 0) {
                log_complain(&s->trouble, LOG_LVL_ERR, "broker refused the connection: %s",
                             mosquitto_connack_string(rc));
                return;
        }
        log_info("connected to the broker");
        atomic_store(&s->connected, true);
        /* The session keeps the subscriptions; subscribing again is harmless
         * and covers a broker that lost its persistence file. */
        r = mosquitto_subscribe(m, NULL, "sonae/v1/nodes/+/up", 1);
        if (r == MOSQ_ERR_SUCCESS)
                r = mosquitto_subscribe(m, NULL, "sonae/v1/nodes/+/status", 1);
        /* The downs, to keep their settings when writing a resend. */
        if (r == MOSQ_ERR_SUCCESS)
                r = mosquitto_subscribe(m, NULL, "sonae/v1/nodes/+/down", 1);
        if (r != MOSQ_ERR_SUCCESS)
                log_err("could not subscribe: %s", mosquitto_strerror(r));
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
        struct ingestd *s = obj;

        atomic_store(&s->connected, false);
        if (!atomic_load(&s->stopping))
                log_warn("disconnected from the broker (%s); reconnecting",
                         rc ? "connection lost" : "closed");
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *str)
{
        if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
                log_debug("mqtt: %s", str);
        else if (log_get_level() >= LOG_LVL_DEBUG)
                log_debug("mqtt: %s", str);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
        struct ingestd *s = obj;
        int r;

        /* On store trouble (disk full, I/O error, a long lock) the message
         * is retried here: returning would acknowledge it unstored. */
        for (;;) {
                pthread_mutex_lock(&s->lock);
                if (!s->in) {
                        pthread_mutex_unlock(&s->lock);
                        return;
                }
                r = ingest_message(s->in, msg->topic, msg->payload, (size_t)msg->payloadlen,
                                   msg->retain, now_s());
                pthread_mutex_unlock(&s->lock);
                if (r == 0) {
                        log_recovered(&s->trouble, "store writable again");
                        return;
                }
                log_complain(&s->trouble, LOG_LVL_ERR, "store trouble, holding messages: %s",
                             store_strerror(r));
                if (atomic_load(&s->stopping)) {
                        /* Stopping with the message unstored: DISCONNECT goes
                         * out before the PUBACK libmosquitto sends on return,
                         * and the broker discards what follows a DISCONNECT,
                         * so the message stays queued for the next start. */
                        mosquitto_disconnect(m);
                        return;
                }
                sleep(1);
        }
}

static int read_password(const char *path, char *out, size_t cap)
{
        FILE *f = fopen(path, "r");
        size_t n;

        if (!f)
                return -errno;
        if (!fgets(out, (int)cap, f)) {
                fclose(f);
                return -EINVAL;
        }
        fclose(f);
        n = strlen(out);
        while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
                out[--n] = 0;
        return 0;
}

static int mqtt_start(struct ingestd *s, const struct sonae_config *cfg)
{
        const struct conf_mqtt *c = &cfg->mqtt;
        char password[PASSWORD_MAX], client_id[CLIENT_ID_MAX];
        int r;

        /* Each instance keeps its own persistent session: two clients of
         * one id would throw each other off the broker. */
        if (c->instance_count > 1)
                snprintf(client_id, sizeof(client_id), "%s-%" PRId64, c->client_id,
                         c->instance_index);
        else
                snprintf(client_id, sizeof(client_id), "%s", c->client_id);
        mosquitto_lib_init();
        s->mosq = mosquitto_new(client_id, false, s);
        if (!s->mosq) {
                log_err("cannot create the MQTT client");
                return -ENOMEM;
        }
        mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_connect_callback_set(s->mosq, on_connect);
        mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
        mosquitto_message_callback_set(s->mosq, on_message);
        mosquitto_log_callback_set(s->mosq, on_log);
        if (c->username && c->username[0]) {
                password[0] = 0;
                if (c->password_file && c->password_file[0]) {
                        r = read_password(c->password_file, password, sizeof(password));
                        if (r < 0) {
                                log_err("[mqtt] password_file %s: %s", c->password_file,
                                        strerror(-r));
                                return r;
                        }
                }
                r = mosquitto_username_pw_set(s->mosq, c->username, password[0] ? password : NULL);
                memset(password, 0, sizeof(password));
                if (r != MOSQ_ERR_SUCCESS)
                        return -EINVAL;
        }
        if (c->tls_ca && c->tls_ca[0]) {
                r = mosquitto_tls_set(s->mosq, c->tls_ca, NULL,
                                      c->tls_cert && c->tls_cert[0] ? c->tls_cert : NULL,
                                      c->tls_key && c->tls_key[0] ? c->tls_key : NULL, NULL);
                if (r != MOSQ_ERR_SUCCESS) {
                        log_err("[mqtt] TLS setup failed: %s", mosquitto_strerror(r));
                        return -EINVAL;
                }
        }
        mosquitto_reconnect_delay_set(s->mosq, 1, 30, true);
        r = mosquitto_connect_async(s->mosq, c->host, (int)c->port, 30);
        if (r != MOSQ_ERR_SUCCESS)
                /* The loop thread keeps retrying with backoff. */
                log_warn("broker %s:%" PRId64 " not reachable yet: %s", c->host, c->port,
                         mosquitto_strerror(r));
        r = mosquitto_loop_start(s->mosq);
        if (r != MOSQ_ERR_SUCCESS) {
                log_err("cannot start the MQTT thread: %s", mosquitto_strerror(r));
                return -EIO;
        }
        return 0;
}

static int ingestd_start(void *state, const struct sonae_config *cfg)
{
        struct ingestd *s = state;
        struct ingest_options o = {
            .qc = qc_default_params,
            .gap_alert_s = cfg->mqtt.gap_alert,
            .publish = publish_down,
            .publish_ctx = s,
            .instance_index = (unsigned)cfg->mqtt.instance_index,
            .instance_count = (unsigned)cfg->mqtt.instance_count,
        };
        int r;

        if (cfg->mqtt.instance_count > 1)
                log_info("instance %" PRId64 " of %" PRId64
                         ": storing the devices whose id hashes (FNV-1a) to %" PRId64
                         " modulo %" PRId64,
                         cfg->mqtt.instance_index, cfg->mqtt.instance_count,
                         cfg->mqtt.instance_index, cfg->mqtt.instance_count);

        r = store_open_config(cfg, &s->st);
        if (r < 0) {
                log_err("cannot open the store: %s", store_strerror(r));
                return r;
        }
        /* The mosquitto client exists before the ingest asks for resends
         * still due, so that they reach the broker's queue. */
        pthread_mutex_lock(&s->lock);
        r = mqtt_start(s, cfg);
        if (r == 0)
                r = ingest_open(s->st, &o, now_s(), &s->in);
        pthread_mutex_unlock(&s->lock);
        if (r < 0) {
                log_err("cannot load the devices: %s", store_strerror(r));
                return r;
        }
        return 0;
}

static int64_t ingestd_tick(void *state)
{
        struct ingestd *s = state;
        int64_t now = now_s();
        int r;

        if (!s->in)
                return 1000;
        pthread_mutex_lock(&s->lock);
        r = ingest_tick(s->in, now);
        if (r == 0)
                r = store_stations_refresh_state(s->st, now, NULL);
        if (r == 0 && now - s->last_checkpoint >= 300) {
                store_checkpoint(s->st);
                s->last_checkpoint = now;
        }
        if (now - s->last_stats >= 60) {
                struct ingest_stats t;
                ingest_get_stats(s->in, &t);
                log_info("%" PRIu64 " messages, %" PRIu64 " readings stored, %" PRIu64
                         " duplicates, %" PRIu64 " malformed, %" PRIu64 " gaps opened, %" PRIu64
                         " closed, %" PRIu64 " for other instances",
                         t.messages, t.readings, t.duplicates, t.malformed, t.gaps_opened,
                         t.gaps_closed, t.others);
                s->last_stats = now;
        }
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
                log_complain(&s->trouble, LOG_LVL_ERR, "periodic work failed: %s",
                             store_strerror(r));
        return 1000;
}

static void ingestd_stop(void *state)
{
        struct ingestd *s = state;

        atomic_store(&s->stopping, true);
        if (s->mosq) {
                mosquitto_disconnect(s->mosq);
                mosquitto_loop_stop(s->mosq, false);
                mosquitto_destroy(s->mosq);
                s->mosq = NULL;
                mosquitto_lib_cleanup();
        }
        if (s->in) {
                struct ingest_stats t;
                ingest_get_stats(s->in, &t);
                log_info("%" PRIu64 " messages, %" PRIu64 " readings stored, %" PRIu64
                         " duplicates, %" PRIu64 " malformed, %" PRIu64 " for other instances",
                         t.messages, t.readings, t.duplicates, t.malformed, t.others);
        }
        ingest_close(s->in);
        s->in = NULL;
        store_close(s->st);
        s->st = NULL;
}

static const struct daemon_ops ingestd_ops = {
    .name = "sonae-ingestd",
    .summary = "Reads the city's sensor nodes over MQTT into the store.",
    .start = ingestd_start,
    .tick = ingestd_tick,
    .stop = ingestd_stop,
};

int main(int argc, char **argv)
{
        static struct ingestd s = {.lock = PTHREAD_MUTEX_INITIALIZER};
        return daemon_main(argc, argv, &ingestd_ops, &s);
}
