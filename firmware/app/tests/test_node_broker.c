/* The node's application (firmware/app/node.c, with every core module)
 * against a real Mosquitto on 127.0.0.1, started by this test: readings
 * queued without a clock are delivered once time is known, exactly once
 * and in order; the retained downlink is applied; a hostile one is
 * rejected whole and the node keeps its settings; a resend is served once.
 * What the node publishes is read back with libmosquitto and decoded with
 * the shared SenML decoder.
 *
 * The host pieces here (HAL on POSIX, the modem as a TCP socket, a ranger
 * reading a level the test sets) are the least the application needs to
 * run as a process; the full host port with scenario files is issue 10's. */
#include <arpa/inet.h>
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hal.h"
#include "modem.h"
#include "node.h"
#include "ranger.h"
#include "senml.h"

/* ---- the host HAL ---- */

static uint8_t fram[64 * 1024];
static int32_t water_dist_mm = 3000;
static int sock = -1;

uint64_t hal_time_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void hal_sleep_until(uint64_t deadline_ms)
{
        uint64_t t = hal_time_ms();
        if (deadline_ms > t) {
                struct timespec ts = {(time_t)((deadline_ms - t) / 1000),
                                      (long)((deadline_ms - t) % 1000) * 1000000L};
                nanosleep(&ts, NULL);
        }
}

void hal_wdt_start(uint32_t timeout_ms)
{
        (void)timeout_ms;
}

void hal_wdt_kick(void)
{
}

int hal_uart_open(enum hal_uart_port port, uint32_t baud)
{
        (void)port;
        (void)baud;
        return -ENODEV;
}

int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms)
{
        (void)port;
        (void)buf;
        (void)len;
        (void)timeout_ms;
        return -ENODEV;
}

int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms)
{
        (void)port;
        (void)buf;
        (void)len;
        (void)timeout_ms;
        return -ENODEV;
}

void hal_gpio_set(enum hal_pin pin, int on)
{
        (void)pin;
        (void)on;
}

int hal_gpio_get(enum hal_pin pin)
{
        (void)pin;
        return 0;
}

int hal_adc_read(enum hal_adc_ch ch, int32_t *value)
{
        *value = ch == HAL_ADC_BATTERY ? 3600 : 2000;
        return 0;
}

uint32_t hal_nvm_size(void)
{
        return sizeof(fram);
}

int hal_nvm_read(uint32_t off, void *buf, uint32_t len)
{
        if (off > sizeof(fram) || len > sizeof(fram) - off)
                return -EFAULT;
        memcpy(buf, fram + off, len);
        return 0;
}

int hal_nvm_write(uint32_t off, const void *buf, uint32_t len)
{
        if (off > sizeof(fram) || len > sizeof(fram) - off)
                return -EFAULT;
        memcpy(fram + off, buf, len);
        return 0;
}

void hal_console_write(const char *s)
{
        fputs(s, stdout);
}

void hal_exit(int code)
{
        exit(code);
}

int ranger_burst(int32_t *mm, unsigned n, uint32_t timeout_ms)
{
        unsigned i;
        (void)timeout_ms;
        for (i = 0; i < n; i++)
                mm[i] = water_dist_mm + (int32_t)(i % 3) - 1;
        return (int)n;
}

/* ---- the modem: a TCP socket to the broker ---- */

int modem_open(const char *host, uint16_t port, int tls, uint32_t timeout_ms)
{
        struct sockaddr_in a;
        struct timeval tv = {(time_t)(timeout_ms / 1000), 0};
        if (tls)
                return -EPROTONOSUPPORT;
        sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return -errno;
        setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
            connect(sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = errno ? errno : EINVAL;
                close(sock);
                sock = -1;
                return -e;
        }
        return 0;
}

int modem_send(const void *buf, size_t len, uint32_t timeout_ms)
{
        size_t off = 0;
        (void)timeout_ms;
        while (off < len) {
                ssize_t n = send(sock, (const char *)buf + off, len - off, MSG_NOSIGNAL);
                if (n <= 0)
                        return -EIO;
                off += (size_t)n;
        }
        return (int)len;
}

int modem_recv(void *buf, size_t len, uint32_t timeout_ms)
{
        struct timeval tv = {(time_t)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000};
        ssize_t n;
        if (len == 0)
                return -ENOBUFS;
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        n = recv(sock, buf, len, 0);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        return n == 0 ? -ECONNRESET : (int)n;
}

void modem_close(void)
{
        if (sock >= 0)
                close(sock);
        sock = -1;
}

static int modem_time_ok = 1;

int modem_time(int64_t *utc)
{
        if (!modem_time_ok)
                return -ENETDOWN;
        *utc = (int64_t)time(NULL);
        return 0;
}

int modem_rssi(int *dbm)
{
        *dbm = -95;
        return 0;
}

void modem_sleep(void)
{
}

/* ---- the broker and a subscriber that keeps what arrives ---- */

#define MAX_MSGS 64
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        char topic[128];
        char body[SENML_MAX_PACK + 1];
        int len;
} msgs[MAX_MSGS];
static int nmsgs;

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
        (void)m;
        (void)u;
        pthread_mutex_lock(&lock);
        if (nmsgs < MAX_MSGS && msg->payloadlen <= SENML_MAX_PACK) {
                snprintf(msgs[nmsgs].topic, sizeof(msgs[nmsgs].topic), "%s", msg->topic);
                memcpy(msgs[nmsgs].body, msg->payload, (size_t)msg->payloadlen);
                msgs[nmsgs].body[msg->payloadlen] = '\0';
                msgs[nmsgs].len = msg->payloadlen;
                nmsgs++;
        }
        pthread_mutex_unlock(&lock);
}

static int free_port(void)
{
        struct sockaddr_in a;
        socklen_t l = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM, 0), port;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(s, (struct sockaddr *)&a, sizeof(a));
        getsockname(s, (struct sockaddr *)&a, &l);
        port = ntohs(a.sin_port);
        close(s);
        return port;
}

static pid_t start_broker(const char *dir, int port)
{
        char conf[512];
        FILE *f;
        pid_t pid;
        uint64_t deadline;
        snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
        f = fopen(conf, "w");
        if (!f)
                return -1;
        fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port);
        fclose(f);
        pid = fork();
        if (pid == 0) {
                execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
                _exit(127);
        }
        deadline = hal_time_ms() + (uint64_t)(5000 * check_time_scale());
        while (hal_time_ms() < deadline) {
                if (modem_open("127.0.0.1", (uint16_t)port, 0, 1000) == 0) {
                        modem_close();
                        return pid;
                }
                hal_sleep_until(hal_time_ms() + 50);
        }
        kill(pid, SIGTERM);
        return -1;
}

/* Waits until at least n messages arrived (or the deadline). */
static int wait_msgs(int n)
{
        uint64_t deadline = hal_time_ms() + (uint64_t)(5000 * check_time_scale());
        int have;
        for (;;) {
                pthread_mutex_lock(&lock);
                have = nmsgs;
                pthread_mutex_unlock(&lock);
                if (have >= n || hal_time_ms() >= deadline)
                        return have;
                hal_sleep_until(hal_time_ms() + 20);
        }
}

static struct senml_pack pack;

/* Decodes every up message from index from on, appending seq numbers. */
static int collect_seqs(int from, uint32_t *seqs, int cap, int64_t *times)
{
        int i, n = 0;
        unsigned k;
        pthread_mutex_lock(&lock);
        for (i = from; i < nmsgs; i++) {
                if (!strstr(msgs[i].topic, "/up"))
                        continue;
                if (senml_decode(msgs[i].body, (size_t)msgs[i].len, &pack) != 0) {
                        fprintf(stderr, "undecodable pack: %s\n", pack.why);
                        n = -1;
                        break;
                }
                for (k = 0; k < pack.n && n < cap; k++) {
                        times[n] = pack.r[k].t;
                        seqs[n++] = pack.r[k].seq;
                }
        }
        pthread_mutex_unlock(&lock);
        return n;
}

static void set_down(struct mosquitto *m, const char *json)
{
        int mid;
        mosquitto_publish(m, &mid, "sonae/v1/nodes/test-001/down", (int)strlen(json), json, 1,
                          true);
        hal_sleep_until(hal_time_ms() + 200);
}

static struct node node;

int main(void)
{
        char dir[256];
        struct node_prov prov;
        struct mosquitto *sub = NULL;
        uint32_t seqs[128];
        int64_t times[128], utc0;
        pid_t broker = -1;
        int port, i, n, before, ok;

        {
                const char *tmp = getenv("TMPDIR");
                snprintf(dir, sizeof(dir), "%s/sonae-node-broker-XXXXXX",
                         tmp && tmp[0] ? tmp : "/tmp");
        }
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        port = free_port();
        broker = start_broker(dir, port);
        CHECK(broker > 0);
        if (broker <= 0)
                goto out;
        mosquitto_lib_init();
        sub = mosquitto_new("test-observer", true, NULL);
        mosquitto_message_callback_set(sub, on_message);
        CHECK_INT(mosquitto_connect(sub, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
        mosquitto_subscribe(sub, NULL, "sonae/v1/nodes/+/up", 1);
        mosquitto_subscribe(sub, NULL, "sonae/v1/nodes/+/status", 1);
        mosquitto_loop_start(sub);
        set_down(sub, "{\"flood_s\":300,\"heartbeat_s\":43200}");

        memset(&prov, 0, sizeof(prov));
        snprintf(prov.device, sizeof(prov.device), "test-001");
        snprintf(prov.host, sizeof(prov.host), "127.0.0.1");
        prov.port = (uint16_t)port;
        CHECK_INT(node_init(&node, &prov), 0);

        /* 30 readings over five hours, before the node has any time. */
        for (i = 0; i < 30; i++)
                CHECK_INT(node_measure(&node, 600 * i), 0);
        CHECK_INT(fwq_unsent(&node.q), 30);
        CHECK_INT(node.time.valid, 0);

        /* The first session: time from the network, all 30 delivered. */
        utc0 = (int64_t)time(NULL);
        CHECK_INT(node_session(&node, 600 * 30), 0);
        CHECK_INT(fwq_unsent(&node.q), 0);
        CHECK_INT(node.settings.flood_s, 300); /* the retained downlink applied */
        CHECK_INT(node.settings.heartbeat_s, 43200);
        wait_msgs(3);
        n = collect_seqs(0, seqs, 128, times);
        CHECK_INT(n, 30);
        ok = 1;
        for (i = 0; i < n && i < 30; i++) {
                int64_t want = utc0 - 600 * (30 - i);
                if (seqs[i] != (uint32_t)i || times[i] < want - 2 || times[i] > want + 2)
                        ok = 0;
        }
        CHECK(ok);
        pthread_mutex_lock(&lock);
        ok = 0;
        for (i = 0; i < nmsgs; i++)
                if (strstr(msgs[i].topic, "/status") &&
                    strstr(msgs[i].body, "\"state\":\"online\"") &&
                    strstr(msgs[i].body, "\"time_valid\":true"))
                        ok = 1;
        pthread_mutex_unlock(&lock);
        CHECK(ok);

        /* A hostile downlink (an interval of 5 s): rejected whole. */
        set_down(sub, "{\"measure_s\":5,\"flood_s\":600}");
        CHECK_INT(node_measure(&node, 600 * 31), 0);
        before = wait_msgs(0);
        CHECK_INT(node_session(&node, 600 * 31 + 10), 0);
        CHECK_INT(node.downlinks_rejected, 1);
        CHECK_INT(node.settings.measure_s, 600);
        CHECK_INT(node.settings.flood_s, 300);
        wait_msgs(before + 2);
        n = collect_seqs(before, seqs, 128, times);
        CHECK_INT(n, 1);
        CHECK_INT(seqs[0], 30);

        /* A resend of seq 3..7: served in this session, and only once. */
        set_down(sub, "{\"resend\":{\"id\":\"gap-1\",\"from\":3,\"to\":7}}");
        before = wait_msgs(0);
        CHECK_INT(node_session(&node, 600 * 32), 0);
        wait_msgs(before + 2);
        n = collect_seqs(before, seqs, 128, times);
        CHECK_INT(n, 5);
        CHECK(n == 5 && seqs[0] == 3 && seqs[4] == 7);
        before = wait_msgs(0);
        CHECK_INT(node_session(&node, 600 * 33), 0);
        wait_msgs(before + 1);
        hal_sleep_until(hal_time_ms() + 300);
        n = collect_seqs(before, seqs, 128, times);
        CHECK_INT(n, 0);

        /* The broker goes away: the session fails, the reading stays queued. */
        kill(broker, SIGTERM);
        waitpid(broker, NULL, 0);
        broker = -1;
        CHECK_INT(node_measure(&node, 600 * 34), 0);
        CHECK(node_session(&node, 600 * 34 + 5) < 0);
        CHECK_INT(fwq_unsent(&node.q), 1);

        /* A reset (the FRAM keeps its content, RAM starts over): a new
         * epoch, seq from 0, no time until the next session.  The broker is
         * back; the old boot's reading and the new one both arrive, each
         * in a pack of its own epoch, and the new one is stamped late. */
        broker = start_broker(dir, port);
        CHECK(broker > 0);
        if (broker <= 0)
                goto out;
        mosquitto_reconnect(sub);
        hal_sleep_until(hal_time_ms() + 300);
        mosquitto_subscribe(sub, NULL, "sonae/v1/nodes/+/up", 1);
        hal_sleep_until(hal_time_ms() + 200);
        CHECK_INT(node_init(&node, &prov), 0);
        CHECK_INT(node.q.epoch, 2);
        CHECK_INT(node_measure(&node, 5), 0);
        CHECK_INT(fwq_unsent(&node.q), 2);
        before = wait_msgs(0);
        utc0 = (int64_t)time(NULL);
        CHECK_INT(node_session(&node, 65), 0);
        CHECK_INT(fwq_unsent(&node.q), 0);
        wait_msgs(before + 2);
        pthread_mutex_lock(&lock);
        {
                int packs = 0, seen_old = 0, seen_new = 0;
                for (i = before; i < nmsgs; i++) {
                        if (!strstr(msgs[i].topic, "/up") ||
                            senml_decode(msgs[i].body, (size_t)msgs[i].len, &pack) != 0)
                                continue;
                        packs++;
                        if (pack.epoch == 1 && pack.n == 1 && pack.r[0].seq == 31)
                                seen_old = 1;
                        if (pack.epoch == 2 && pack.n == 1 && pack.r[0].seq == 0 &&
                            pack.r[0].t >= utc0 - 62 && pack.r[0].t <= utc0 - 58)
                                seen_new = 1;
                }
                CHECK_INT(packs, 2);
                CHECK(seen_old);
                CHECK(seen_new);
        }
        pthread_mutex_unlock(&lock);

        /* Another reset, and this time the network gives no time: the
         * reading waits (the session reports -EAGAIN so it is retried
         * soon).  Then the downlink's "time" sets the clock and the next
         * session delivers it. */
        modem_time_ok = 0;
        CHECK_INT(node_init(&node, &prov), 0);
        CHECK_INT(node_measure(&node, 3), 0);
        CHECK_INT(node_session(&node, 20), -EAGAIN);
        CHECK_INT(fwq_unsent(&node.q), 1);
        CHECK_INT(node.time.valid, 0);
        utc0 = (int64_t)time(NULL);
        {
                char down[96];
                snprintf(down, sizeof(down), "{\"time\":%lld}", (long long)utc0);
                set_down(sub, down);
        }
        before = wait_msgs(0);
        CHECK_INT(node_session(&node, 40), 0);
        CHECK_INT(node.time.valid, 1);
        CHECK_INT(node.time.source, FW_TIME_DOWNLINK);
        CHECK_INT(fwq_unsent(&node.q), 0);
        wait_msgs(before + 2);
        n = collect_seqs(before, seqs, 128, times);
        CHECK_INT(n, 1);
        /* Measured at monotonic 3, the clock given at monotonic 40. */
        CHECK(n == 1 && times[0] >= utc0 - 37 - 2 && times[0] <= utc0 - 37 + 2);
out:
        if (sub) {
                mosquitto_disconnect(sub);
                mosquitto_loop_stop(sub, true);
                mosquitto_destroy(sub);
                mosquitto_lib_cleanup();
        }
        if (broker > 0) {
                kill(broker, SIGTERM);
                waitpid(broker, NULL, 0);
        }
        {
                char conf[512];
                snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
                unlink(conf);
                rmdir(dir);
        }
        return check_done("node-broker");
}
