/* The LTE-M modem driver for a Quectel BG95-class module, by AT commands
 * on the modem UART (Quectel BG95 AT Commands Manual, TCP/IP and SSL
 * application notes): power on by PWRKEY and "RDY", registration
 * (AT+CEREG?), the PDP context (AT+QIACT), one socket (AT+QIOPEN or
 * AT+QSSLOPEN, in buffer access mode: data is fetched with AT+QIRD /
 * AT+QSSLRECV after a "recv" URC, and polled in case a URC was lost),
 * AT+QISEND with its "> " prompt, AT+QICLOSE, network time (AT+CCLK?),
 * signal (AT+CSQ) and PSM (AT+CPSMS, AT+QCFG="psm/enter").  Unsolicited
 * codes are taken whenever they arrive, also in the middle of a command's
 * answer; "ERROR" and "+CME ERROR: n" end a command with an error; garbage
 * lines are ignored; every wait has a deadline. */
#include "hal.h"
#include "modem.h"
#include "modem_conf.h"

#include <errno.h>
#include <string.h>

#define IB_CAP 256

enum { L_LINE = 1, L_PROMPT = 2 };

static struct {
        uint8_t ib[IB_CAP];
        size_t ib_len;
        char line[MODEM_LINE_MAX + 1];
        int powered, awake, open, closed, rx_urc, tls, rdy;
        int open_done, open_err, cme;
        uint64_t limit; /* the public call's deadline: no command waits past it */
        uint8_t data[MODEM_READ_MAX];
        size_t d_off, d_len;
} m;

/* ---- small string helpers (no printf on the target) ---- */

static void cat(char *out, size_t cap, const char *s)
{
        size_t k = strlen(out), l = strlen(s);
        if (k + l + 1 > cap)
                l = cap - k - 1;
        memcpy(out + k, s, l);
        out[k + l] = '\0';
}

static void cat_u(char *out, size_t cap, uint32_t v)
{
        char num[11];
        int i = 10;
        num[i] = '\0';
        do {
                num[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v && i > 0);
        cat(out, cap, num + i);
}

static int starts(const char *s, const char *p)
{
        return strncmp(s, p, strlen(p)) == 0;
}

/* Reads a decimal number at *s (moving it); -1 when there is none. */
static long num(const char **s)
{
        long v = 0;
        int any = 0;
        while (**s == ' ')
                (*s)++;
        while (**s >= '0' && **s <= '9' && v < 100000000) {
                v = v * 10 + (**s - '0');
                (*s)++;
                any = 1;
        }
        return any ? v : -1;
}

/* ---- the line reader ---- */

static uint32_t left(uint64_t deadline)
{
        uint64_t t = hal_time_ms();
        return t >= deadline ? 0 : (uint32_t)(deadline - t);
}

/* More bytes into ib before deadline: 1, 0 at the deadline, or an error. */
static int fill(uint64_t deadline)
{
        int k;
        uint32_t ms = left(deadline);
        if (ms == 0)
                return 0;
        if (m.ib_len == IB_CAP)
                m.ib_len = 0; /* a line longer than anything we know: noise */
        k = hal_uart_read(HAL_UART_MODEM, m.ib + m.ib_len, IB_CAP - m.ib_len, ms);
        if (k < 0)
                return k;
        m.ib_len += (size_t)k;
        return k > 0 ? 1 : 0;
}

static void drop(size_t n)
{
        memmove(m.ib, m.ib + n, m.ib_len - n);
        m.ib_len -= n;
}

/* The next non-empty line into m.line (L_LINE), or the send prompt "> "
 * when prompt is set (L_PROMPT), or -ETIMEDOUT. */
static int next_line(uint64_t deadline, int prompt)
{
        for (;;) {
                size_t i;
                int rc;
                while (m.ib_len && (m.ib[0] == '\r' || m.ib[0] == '\n'))
                        drop(1);
                if (prompt && m.ib_len && m.ib[0] == '>') {
                        drop(m.ib_len > 1 && m.ib[1] == ' ' ? 2 : 1);
                        return L_PROMPT;
                }
                for (i = 0; i < m.ib_len; i++) {
                        if (m.ib[i] == '\r' || m.ib[i] == '\n') {
                                size_t l = i < MODEM_LINE_MAX ? i : MODEM_LINE_MAX;
                                memcpy(m.line, m.ib, l);
                                m.line[l] = '\0';
                                drop(i + 1);
                                return L_LINE;
                        }
                }
                rc = fill(deadline);
                if (rc < 0)
                        return rc;
                if (rc == 0)
                        return -ETIMEDOUT;
        }
}

/* Unsolicited result codes: 1 when the line was one (and is handled). */
static int urc(const char *l)
{
        const char *p;
        if (starts(l, "+QIURC: ") || starts(l, "+QSSLURC: ")) {
                p = strchr(l, '"');
                if (p && starts(p, "\"recv\""))
                        m.rx_urc = 1;
                else if (p && (starts(p, "\"closed\"") || starts(p, "\"pdpdeact\"")))
                        m.closed = 1;
                return 1;
        }
        if (starts(l, "+QIOPEN: ") || starts(l, "+QSSLOPEN: ")) {
                p = strchr(l, ',');
                if (p)
                        p++;
                m.open_err = p ? (int)num(&p) : -1;
                m.open_done = 1;
                return 1;
        }
        if (strcmp(l, "RDY") == 0 || strcmp(l, "APP RDY") == 0) {
                m.rdy = 1;
                return 1;
        }
        if (starts(l, "+CFUN:") || starts(l, "+CPIN:") || starts(l, "+QIND:") ||
            starts(l, "+QPSMTIMER:") || strcmp(l, "POWERED DOWN") == 0 || starts(l, "+CTZV:") ||
            starts(l, "+QNTP:"))
                return 1;
        /* "+CEREG: <stat>" alone is the URC; the answer to AT+CEREG? has
         * two numbers and is taken by the command first. */
        if (starts(l, "+CEREG:") && !strchr(l, ','))
                return 1;
        return 0;
}

static int write_all(const void *buf, size_t len, uint64_t deadline)
{
        int rc = hal_uart_write(HAL_UART_MODEM, buf, len, left(deadline) ? left(deadline) : 1);
        return rc == (int)len ? 0 : rc < 0 ? rc : -EIO;
}

/* Writes base, the number n and CR (AT+QISEND=0,n and the like). */
static int write_cmd_n(const char *base, uint32_t n, uint64_t deadline)
{
        char cmd[40] = "";
        cat(cmd, sizeof(cmd), base);
        cat_u(cmd, sizeof(cmd), n);
        cat(cmd, sizeof(cmd), "\r");
        return write_all(cmd, strlen(cmd), deadline);
}

/* Sends cmd and reads its answer until OK (0), ERROR or +CME ERROR (-EIO,
 * the code in m.cme) or the deadline (-ETIMEDOUT).  A line starting with
 * prefix is copied (without it) into out. */
static int at(const char *cmd, const char *prefix, char *out, size_t cap, uint32_t ms)
{
        uint64_t deadline = hal_time_ms() + ms;
        int rc;
        if (deadline > m.limit)
                deadline = m.limit;
        if (out && cap)
                out[0] = '\0';
        rc = write_all(cmd, strlen(cmd), deadline);
        if (rc == 0)
                rc = write_all("\r", 1, deadline);
        if (rc < 0)
                return rc;
        for (;;) {
                rc = next_line(deadline, 0);
                if (rc < 0)
                        return rc;
                if (prefix && starts(m.line, prefix)) {
                        if (out && cap) {
                                out[0] = '\0';
                                cat(out, cap, m.line + strlen(prefix));
                        }
                        continue;
                }
                if (strcmp(m.line, "OK") == 0)
                        return 0;
                if (strcmp(m.line, "ERROR") == 0)
                        return -EIO;
                if (starts(m.line, "+CME ERROR:")) {
                        const char *p = m.line + 11;
                        m.cme = (int)num(&p);
                        return -EIO;
                }
                if (urc(m.line))
                        continue;
                /* The echo of cmd (before ATE0 took), or garbage: ignored. */
        }
}

/* Takes URCs until flag is set or the deadline. */
static void wait_urc(const int *flag, uint64_t deadline)
{
        while (!*flag && next_line(deadline, 0) == L_LINE)
                urc(m.line);
}

/* ---- power and registration ---- */

static int probe(void)
{
        unsigned i;
        for (i = 0; i < 2; i++)
                if (at("AT", NULL, NULL, 0, MODEM_PROBE_MS) == 0)
                        return 0;
        return -ETIMEDOUT;
}

static int wake(uint64_t deadline)
{
        uint64_t boot;
        unsigned i;
        if (!m.powered) {
                hal_gpio_set(HAL_PIN_MODEM_PWR, 1);
                m.powered = 1;
                m.awake = 0;
        }
        /* Probed first even when believed asleep: a PWRKEY pulse on a
         * running module could switch it off. */
        if (probe() == 0) {
                m.awake = 1;
                return 0;
        }
        m.ib_len = 0;
        /* Off or in PSM: PWRKEY wakes it (BG95 hardware design). */
        m.rdy = 0;
        hal_gpio_set(HAL_PIN_MODEM_KEY, 1);
        hal_sleep_until(hal_time_ms() + MODEM_PWRKEY_MS);
        hal_gpio_set(HAL_PIN_MODEM_KEY, 0);
        boot = hal_time_ms() + MODEM_BOOT_MS;
        wait_urc(&m.rdy, boot < deadline ? boot : deadline);
        for (i = 0; i < 5 && left(deadline); i++) {
                if (at("AT", NULL, NULL, 0, MODEM_PROBE_MS) == 0) {
                        m.awake = 1;
                        return 0;
                }
        }
        return -ETIMEDOUT;
}

static int attach(uint64_t deadline)
{
        char out[32];
        for (;;) {
                int rc = at("AT+CEREG?", "+CEREG:", out, sizeof(out), MODEM_CMD_MS);
                const char *p = strchr(out, ',');
                long stat;
                if (rc == -ETIMEDOUT)
                        return rc;
                if (rc == 0 && p) {
                        p++;
                        stat = num(&p);
                        if (stat == 1 || stat == 5)
                                return 0; /* home, roaming */
                        if (stat == 3)
                                return -ENETDOWN; /* denied */
                }
                if (left(deadline) <= MODEM_REG_POLL_MS)
                        return -ENETDOWN;
                hal_sleep_until(hal_time_ms() + MODEM_REG_POLL_MS);
        }
}

static int pdp(uint64_t deadline)
{
        char out[64];
        int rc = at("AT+QIACT?", "+QIACT:", out, sizeof(out), MODEM_CMD_MS);
        const char *p = out;
        if (rc < 0)
                return rc;
        /* "+QIACT: 1,1,1,\"10.1.2.3\"": context 1, state 1 (active). */
        if (num(&p) == 1 && *p == ',') {
                p++;
                if (num(&p) == 1)
                        return 0;
        }
        /* AT+QIACT answers within 150 s. */
        return at("AT+QIACT=1", NULL, NULL, 0, left(deadline));
}

/* Starts a public call: every command in it ends by deadline. */
static uint64_t begin(uint32_t ms)
{
        m.limit = hal_time_ms() + ms;
        return m.limit;
}

int modem_open(const char *host, uint16_t port, int tls, uint32_t timeout_ms)
{
        uint64_t deadline = begin(timeout_ms);
        char cmd[MODEM_LINE_MAX];
        int rc;
        rc = hal_uart_open(HAL_UART_MODEM, MODEM_BAUD);
        if (rc < 0)
                return rc;
        m.open = m.closed = m.rx_urc = 0;
        m.d_off = m.d_len = 0;
        m.tls = tls != 0;
        rc = wake(deadline);
        if (rc == 0)
                rc = at("ATE0", NULL, NULL, 0, MODEM_CMD_MS);
        if (rc == 0)
                rc = at("AT+CMEE=1", NULL, NULL, 0, MODEM_CMD_MS);
        if (rc == 0)
                rc = attach(deadline);
        if (rc == 0)
                rc = pdp(deadline);
        if (rc < 0)
                return rc == -EIO ? -ENETDOWN : rc;
        if (strlen(host) > 64 || strchr(host, '"'))
                return -EINVAL;
        cmd[0] = '\0';
        cat(cmd, sizeof(cmd), m.tls ? "AT+QSSLOPEN=1,1,0,\"" : "AT+QIOPEN=1,0,\"TCP\",\"");
        cat(cmd, sizeof(cmd), host);
        cat(cmd, sizeof(cmd), "\",");
        cat_u(cmd, sizeof(cmd), port);
        cat(cmd, sizeof(cmd), m.tls ? ",0" : ",0,0");
        m.open_done = 0;
        rc = at(cmd, NULL, NULL, 0, left(deadline));
        if (rc < 0)
                return rc == -EIO ? -ECONNREFUSED : rc;
        /* The result comes as a URC: "+QIOPEN: 0,0" is success. */
        wait_urc(&m.open_done, deadline);
        if (!m.open_done)
                return -ETIMEDOUT;
        if (m.open_err != 0)
                return -ECONNREFUSED;
        m.open = 1;
        return 0;
}

int modem_send(const void *buf, size_t len, uint32_t timeout_ms)
{
        uint64_t deadline = begin(timeout_ms);
        const uint8_t *b = buf;
        size_t done = 0;
        if (!m.open)
                return -ENOTCONN;
        while (done < len) {
                size_t n = len - done > MODEM_SEND_MAX ? MODEM_SEND_MAX : len - done;
                int rc;
                if (m.closed)
                        return -ECONNRESET;
                rc = write_cmd_n(m.tls ? "AT+QSSLSEND=0," : "AT+QISEND=0,", (uint32_t)n, deadline);
                if (rc < 0)
                        return rc;
                /* URCs may come before the prompt. */
                for (;;) {
                        rc = next_line(deadline, 1);
                        if (rc < 0)
                                return rc;
                        if (rc == L_PROMPT)
                                break;
                        if (strcmp(m.line, "ERROR") == 0 || starts(m.line, "+CME ERROR:"))
                                return -EIO;
                        urc(m.line);
                }
                rc = write_all(b + done, n, deadline);
                if (rc < 0)
                        return rc;
                for (;;) {
                        rc = next_line(deadline, 0);
                        if (rc < 0)
                                return rc;
                        if (strcmp(m.line, "SEND OK") == 0)
                                break;
                        if (strcmp(m.line, "SEND FAIL") == 0 || strcmp(m.line, "ERROR") == 0)
                                return -EIO;
                        urc(m.line);
                }
                done += n;
        }
        return (int)len;
}

/* Fetches what the module holds for the socket into m.data. */
static int fetch(uint64_t deadline)
{
        const char *prefix = m.tls ? "+QSSLRECV: " : "+QIRD: ";
        int rc = write_cmd_n(m.tls ? "AT+QSSLRECV=0," : "AT+QIRD=0,", MODEM_READ_MAX, deadline);
        if (rc < 0)
                return rc;
        for (;;) {
                rc = next_line(deadline, 0);
                if (rc < 0)
                        return rc;
                if (starts(m.line, prefix)) {
                        const char *p = m.line + strlen(prefix);
                        long n = num(&p);
                        size_t got = 0;
                        if (n < 0 || n > MODEM_READ_MAX)
                                return -EPROTO;
                        /* n raw bytes follow the line's CR LF. */
                        if (m.ib_len && m.ib[0] == '\n')
                                drop(1);
                        while (got < (size_t)n) {
                                size_t k;
                                if (m.ib_len == 0) {
                                        rc = fill(deadline);
                                        if (rc <= 0)
                                                return rc < 0 ? rc : -ETIMEDOUT;
                                        if (got == 0 && m.ib[0] == '\n')
                                                drop(1);
                                        continue;
                                }
                                k = m.ib_len < (size_t)n - got ? m.ib_len : (size_t)n - got;
                                memcpy(m.data + got, m.ib, k);
                                drop(k);
                                got += k;
                        }
                        m.d_off = 0;
                        m.d_len = got;
                        continue;
                }
                if (strcmp(m.line, "OK") == 0)
                        return 0;
                if (strcmp(m.line, "ERROR") == 0 || starts(m.line, "+CME ERROR:"))
                        return -EIO;
                urc(m.line);
        }
}

int modem_recv(void *buf, size_t len, uint32_t timeout_ms)
{
        uint64_t deadline = begin(timeout_ms);
        if (!m.open)
                return -ENOTCONN;
        for (;;) {
                if (m.d_off < m.d_len) {
                        size_t k = m.d_len - m.d_off < len ? m.d_len - m.d_off : len;
                        memcpy(buf, m.data + m.d_off, k);
                        m.d_off += k;
                        return (int)k;
                }
                if (m.closed)
                        return -ECONNRESET;
                if (!left(deadline))
                        return 0;
                m.rx_urc = 0;
                {
                        int rc = fetch(deadline);
                        uint64_t poll;
                        if (rc == -ETIMEDOUT)
                                return 0;
                        if (rc < 0)
                                return rc;
                        if (m.d_off < m.d_len || m.closed)
                                continue;
                        poll = hal_time_ms() + MODEM_RX_POLL_MS;
                        wait_urc(&m.rx_urc, poll < deadline ? poll : deadline);
                }
        }
}

void modem_close(void)
{
        begin(MODEM_CMD_MS);
        if (m.open)
                at(m.tls ? "AT+QSSLCLOSE=0" : "AT+QICLOSE=0", NULL, NULL, 0, MODEM_CMD_MS);
        m.open = 0;
        m.d_off = m.d_len = 0;
}

/* Days from 1970-01-01 to y-mo-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned mo, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;
        y -= mo <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

int modem_time(int64_t *utc)
{
        char out[40];
        const char *p;
        long f[6], tz;
        unsigned i;
        int sign;
        begin(MODEM_CMD_MS);
        if (at("AT+CCLK?", "+CCLK: ", out, sizeof(out), MODEM_CMD_MS) < 0)
                return -ENETDOWN;
        /* "yy/MM/dd,hh:mm:ss±zz", zz in quarter hours of local time. */
        p = out;
        if (*p++ != '"')
                return -EPROTO;
        for (i = 0; i < 6; i++) {
                f[i] = num(&p);
                if (f[i] < 0 || (i < 5 && *p != "//,::"[i]))
                        return -EPROTO;
                if (i < 5)
                        p++;
        }
        if (*p != '+' && *p != '-')
                return -EPROTO;
        sign = *p++ == '-' ? -1 : 1;
        tz = num(&p);
        if (tz < 0 || tz > 96 || *p != '"')
                return -EPROTO;
        if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
                return -EPROTO;
        /* Before the network gave the time the module counts from its
         * build date (years like 80 or 70): not a time. */
        if (f[0] < 20 || f[0] > 69)
                return -ENODATA;
        *utc = days_from_civil(2000 + f[0], (unsigned)f[1], (unsigned)f[2]) * 86400 + f[3] * 3600 +
               f[4] * 60 + f[5] - sign * tz * 900;
        return 0;
}

int modem_rssi(int *dbm)
{
        char out[24];
        const char *p = out;
        long r;
        begin(MODEM_CMD_MS);
        if (at("AT+CSQ", "+CSQ: ", out, sizeof(out), MODEM_CMD_MS) < 0)
                return -ENETDOWN;
        r = num(&p);
        if (r < 0 || r > 31)
                return -ENODATA; /* 99: not known */
        *dbm = -113 + 2 * (int)r;
        return 0;
}

void modem_sleep(void)
{
        if (!m.powered || !m.awake)
                return;
        begin(3 * MODEM_CMD_MS);
        /* PSM requested (periodic TAU 10 h, active time 2 s: the node wakes
         * the module itself with PWRKEY), then entered at once. */
        if (at("AT+CPSMS=1,,,\"00100001\",\"00000001\"", NULL, NULL, 0, MODEM_CMD_MS) == 0 &&
            at("AT+QCFG=\"psm/enter\",1", NULL, NULL, 0, MODEM_CMD_MS) == 0) {
                m.awake = 0;
                return;
        }
        /* No PSM from this network: power the module down instead. */
        at("AT+QPOWD=1", NULL, NULL, 0, MODEM_CMD_MS);
        hal_gpio_set(HAL_PIN_MODEM_PWR, 0);
        m.powered = m.awake = 0;
}
