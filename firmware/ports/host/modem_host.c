/* The modem as the host port sees it: a real TCP connection to the broker,
 * gone while the scenario says the network is (the socket is shut at the
 * outage's start, so a session cut in the middle fails as it would on a
 * bridge), network time from the real clock, signal from the scenario.
 * Plain TCP: TLS is the modem's job on a board (AT+QSSLOPEN). */
#include "host.h"
#include "modem.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sock = -1;
static char target_host[256] = "127.0.0.1";
static uint16_t target_port = 1883;
static int warned_tls;

void host_modem_target(const char *host, uint16_t port)
{
        snprintf(target_host, sizeof(target_host), "%s", host);
        target_port = port;
}

static int net_down(void)
{
        return sc_in(&host_sc.outage, host_story_s());
}

int modem_open(const char *host, uint16_t port, int tls, uint32_t timeout_ms)
{
        struct addrinfo hints, *ai = NULL, *a;
        char portstr[8];
        int rc = -EHOSTUNREACH;
        (void)host;
        (void)port;
        if (tls && !warned_tls) {
                fputs("sonae-node-sim: the host port speaks plain TCP (no TLS)\n", stderr);
                warned_tls = 1;
        }
        modem_close();
        if (net_down())
                return -ENETDOWN;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(portstr, sizeof(portstr), "%u", target_port);
        if (getaddrinfo(target_host, portstr, &hints, &ai) != 0)
                return -EHOSTUNREACH;
        for (a = ai; a; a = a->ai_next) {
                struct pollfd pfd;
                int s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                int err = 0;
                socklen_t el = sizeof(err);
                if (s < 0)
                        continue;
                if (connect(s, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
                        rc = -errno;
                        close(s);
                        continue;
                }
                pfd.fd = s;
                pfd.events = POLLOUT;
                if (poll(&pfd, 1, (int)timeout_ms) != 1 ||
                    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
                        rc = err ? -err : -ETIMEDOUT;
                        close(s);
                        continue;
                }
                sock = s;
                rc = 0;
                break;
        }
        freeaddrinfo(ai);
        return rc;
}

int modem_send(const void *buf, size_t len, uint32_t timeout_ms)
{
        const char *b = buf;
        size_t done = 0;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (sock < 0)
                return -ENOTCONN;
        while (done < len) {
                struct pollfd pfd = {sock, POLLOUT, 0};
                ssize_t k;
                if (net_down()) {
                        modem_close();
                        return -ENETDOWN;
                }
                if (poll(&pfd, 1, (int)timeout_ms) != 1)
                        return -ETIMEDOUT;
                k = send(sock, b + done, len - done, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t)k;
        }
        return (int)len;
}

int modem_recv(void *buf, size_t len, uint32_t timeout_ms)
{
        struct pollfd pfd;
        ssize_t k;
        int r;
        if (sock < 0)
                return -ENOTCONN;
        if (net_down()) {
                modem_close();
                return -ENETDOWN;
        }
        pfd.fd = sock;
        pfd.events = POLLIN;
        pfd.revents = 0;
        /* In slices, so an outage starting meanwhile cuts the wait. */
        r = poll(&pfd, 1, timeout_ms > 500 ? 500 : (int)timeout_ms);
        if (r == 0)
                return 0;
        if (r < 0)
                return errno == EINTR ? 0 : -errno;
        k = recv(sock, buf, len, 0);
        if (k == 0)
                return -ECONNRESET;
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        return (int)k;
}

void modem_close(void)
{
        if (sock >= 0)
                close(sock);
        sock = -1;
}

int modem_time(int64_t *utc)
{
        if (net_down())
                return -ENETDOWN;
        *utc = (int64_t)time(NULL);
        return 0;
}

int modem_rssi(int *dbm)
{
        *dbm = sc_at(&host_sc.signal, host_story_s(), -85000) / 1000;
        return 0;
}

void modem_sleep(void)
{
}
