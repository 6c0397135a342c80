/* The BG95-class AT driver (drivers/modem_bg95.c) against scripted module
 * transcripts, authored from the Quectel BG95 AT Commands Manual and its
 * TCP/IP and SSL application notes (tests/fixtures/SOURCES.md): a cold
 * start with boot noise and echo, registration while searching, the PDP
 * context, TCP and TLS sockets, sends with the "> " prompt, reads in
 * buffer access mode with data containing CR LF, URCs at awkward moments
 * (before the prompt, inside another command's answer), the peer closing,
 * ERROR and +CME ERROR, a module that never answers or stops in the middle
 * of a line, network time and signal, PSM and the wake from it. */
#include "fw_test.h"
#include "hal.h"
#include "modem.h"
#include "modem_conf.h"
#include "uart_script.h"

#include <errno.h>

/* A module awake and registered, its PDP context active: what every open
 * of it goes through before the socket. */
#define WARM_OPEN                                                                                  \
        US_EXPECT("AT\r"), US_SAY(10, "\r\nOK\r\n"), US_EXPECT("ATE0\r"),                          \
            US_SAY(10, "\r\nOK\r\n"), US_EXPECT("AT+CMEE=1\r"), US_SAY(10, "\r\nOK\r\n"),          \
            US_EXPECT("AT+CEREG?\r"), US_SAY(10, "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),                 \
            US_EXPECT("AT+QIACT?\r"), US_SAY(10, "\r\n+QIACT: 1,1,1,\"10.45.0.7\"\r\n\r\nOK\r\n")

#define OPEN_TCP "AT+QIOPEN=1,0,\"TCP\",\"mqtt.example.jp\",8883,0,0\r"

/* A cold module: two unanswered probes, PWRKEY, boot noise and "RDY", then
 * echo still on, a network search, no PDP context yet. */
static void test_cold_open(void)
{
        static const struct us_step s[] = {
            US_EXPECT("AT\r"),
            US_EXPECT("AT\r"),
            US_SAYN(2500, "\x00\xff\xfe\r\n", 5),
            US_SAY(200, "\r\nRD"),
            US_SAY(5, "Y\r\n"),
            US_SAY(300, "\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n"),
            US_EXPECT("AT\r"),
            US_SAY(20, "AT\r\r\nOK\r\n"), /* echo on */
            US_EXPECT("ATE0\r"),
            US_SAY(20, "ATE0\r\r\nOK\r\n"),
            US_EXPECT("AT+CMEE=1\r"),
            US_SAY(20, "\r\nOK\r\n"),
            US_EXPECT("AT+CEREG?\r"),
            US_SAY(20, "\r\n+CEREG: 0,2\r\n\r\nOK\r\n"), /* searching */
            US_EXPECT("AT+CEREG?\r"),
            US_SAY(20, "\r\n+CEREG: 1\r\n"), /* the URC, inside the answer */
            US_SAY(5, "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),
            US_EXPECT("AT+QIACT?\r"),
            US_SAY(20, "\r\nOK\r\n"),
            US_EXPECT("AT+QIACT=1\r"),
            US_SAY(1500, "\r\nOK\r\n"),
            US_EXPECT(OPEN_TCP),
            US_SAY(30, "\r\nOK\r\n"),
            US_SAY(800, "\r\n+QIOPEN: 0,0\r\n"),
            US_END};
        uint64_t t0 = hal_time_ms();
        us_start(HAL_UART_MODEM, s);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 60000), 0);
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
        CHECK_INT(us_pin(HAL_PIN_MODEM_PWR), 1);
        CHECK_INT(us_pin_rises(HAL_PIN_MODEM_KEY), 1);
        CHECK(us_pin_last_pulse_ms(HAL_PIN_MODEM_KEY) >= 500);
        CHECK(us_pin_last_pulse_ms(HAL_PIN_MODEM_KEY) < 650); /* ≥ 650 ms would switch it off */
        CHECK(hal_time_ms() - t0 < 60000);
}

/* Sends (a URC before the prompt; a long buffer in two AT+QISEND) and
 * reads (data with CR LF inside; nothing, then a "recv" URC). */
static void test_send_recv(void)
{
        static char big[1500];
        static const struct us_step s[] = {US_EXPECT("AT+QISEND=0,5\r"),
                                           US_SAY(10, "\r\n+QIURC: \"recv\",0\r\n"),
                                           US_SAY(5, "> "),
                                           US_EXPECT("hello"),
                                           US_SAY(50, "\r\nSEND OK\r\n"),
                                           US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 7\r\nab\r\ncd\n\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 0\r\n\r\nOK\r\n"),
                                           US_SAY(300, "\r\n+QIURC: \"recv\",0\r\n"),
                                           US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 3\r\n"),
                                           US_SAY(10, "x"), /* the data split across reads */
                                           US_SAY(10, "yz\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+QISEND=0,1460\r"),
                                           US_SAY(10, "> "),
                                           US_EXPECTN(big, 1460),
                                           US_SAY(10, "\r\nSEND OK\r\n"),
                                           US_EXPECT("AT+QISEND=0,40\r"),
                                           US_SAY(10, "> "),
                                           US_EXPECTN(big + 1460, 40),
                                           US_SAY(10, "\r\nSEND OK\r\n"),
                                           US_END};
        char buf[32];
        unsigned i;
        for (i = 0; i < sizeof(big); i++)
                big[i] = (char)('A' + i % 26);
        us_start(HAL_UART_MODEM, s);
        CHECK_INT(modem_send("hello", 5, 5000), 5);
        CHECK_INT(modem_recv(buf, sizeof(buf), 5000), 7);
        CHECK(memcmp(buf, "ab\r\ncd\n", 7) == 0);
        /* A small buffer takes the data in pieces. */
        CHECK_INT(modem_recv(buf, 2, 5000), 2);
        CHECK(memcmp(buf, "xy", 2) == 0);
        CHECK_INT(modem_recv(buf, sizeof(buf), 5000), 1);
        CHECK_INT(buf[0], 'z');
        CHECK_INT(modem_send(big, sizeof(big), 10000), 1500);
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
}

/* Nothing to read until the deadline (0, not an error); then the peer
 * closes: -ECONNRESET; the socket is closed. */
static void test_closed(void)
{
        static const struct us_step s[] = {US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 0\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 0\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+QIRD=0,1500\r"),
                                           US_SAY(10, "\r\n+QIRD: 0\r\n\r\nOK\r\n"),
                                           US_SAY(100, "\r\n+QIURC: \"closed\",0\r\n"),
                                           US_EXPECT("AT+QICLOSE=0\r"),
                                           US_SAY(10, "\r\nOK\r\n"),
                                           US_END};
        char buf[8];
        uint64_t t0;
        us_start(HAL_UART_MODEM, s);
        t0 = hal_time_ms();
        CHECK_INT(modem_recv(buf, sizeof(buf), 1500), 0);
        CHECK(hal_time_ms() - t0 <= 1500 + 20);
        CHECK_INT(modem_recv(buf, sizeof(buf), 5000), -ECONNRESET);
        modem_close();
        CHECK_INT(modem_send("x", 1, 1000), -ENOTCONN);
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
}

/* ERROR, +CME ERROR and refusals, each at its step of the open. */
static void test_errors(void)
{
        static const struct us_step denied[] = {US_EXPECT("AT\r"),
                                                US_SAY(10, "\r\nOK\r\n"),
                                                US_EXPECT("ATE0\r"),
                                                US_SAY(10, "\r\nOK\r\n"),
                                                US_EXPECT("AT+CMEE=1\r"),
                                                US_SAY(10, "\r\nOK\r\n"),
                                                US_EXPECT("AT+CEREG?\r"),
                                                US_SAY(10, "\r\n+CEREG: 0,3\r\n\r\nOK\r\n"),
                                                US_END};
        static const struct us_step refused[] = {
            US_EXPECT("AT\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("ATE0\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("AT+CMEE=1\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("AT+CEREG?\r"),
            US_SAY(10, "\r\n+CEREG: 0,5\r\n\r\nOK\r\n"), /* roaming */
            US_EXPECT("AT+QIACT?\r"),
            US_SAY(10, "\r\n+QIACT: 1,1,1,\"10.45.0.7\"\r\n\r\nOK\r\n"),
            US_EXPECT(OPEN_TCP),
            US_SAY(10, "\r\nOK\r\n"),
            US_SAY(900, "\r\n+QIOPEN: 0,566\r\n"), /* socket connect failed */
            WARM_OPEN,
            US_EXPECT(OPEN_TCP),
            US_SAY(10, "\r\n+CME ERROR: 563\r\n"), /* socket identity used */
            US_EXPECT("AT\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("ATE0\r"),
            US_SAY(10, "\r\nERROR\r\n"),
            US_END};
        us_start(HAL_UART_MODEM, denied);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 30000), -ENETDOWN);
        CHECK(us_finished());
        us_start(HAL_UART_MODEM, refused);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 30000), -ECONNREFUSED);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 30000), -ECONNREFUSED);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 30000), -ENETDOWN);
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
        CHECK_INT(modem_send("x", 1, 1000), -ENOTCONN);
}

/* A TLS socket, a send refused, a send failed. */
static void test_tls(void)
{
        static const struct us_step s[] = {
            WARM_OPEN,
            US_EXPECT("AT+QSSLOPEN=1,1,0,\"mqtt.example.jp\",8883,0\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_SAY(2500, "\r\n+QSSLOPEN: 0,0\r\n"),
            US_EXPECT("AT+QSSLSEND=0,3\r"),
            US_SAY(10, "> "),
            US_EXPECT("abc"),
            US_SAY(10, "\r\nSEND OK\r\n"),
            US_EXPECT("AT+QSSLRECV=0,1500\r"),
            US_SAYN(10, "\r\n+QSSLRECV: 4\r\n\x20\x02\x00\x00\r\nOK\r\n", 26),
            US_EXPECT("AT+QSSLSEND=0,3\r"),
            US_SAY(10, "\r\nERROR\r\n"),
            US_EXPECT("AT+QSSLSEND=0,3\r"),
            US_SAY(10, "> "),
            US_EXPECT("abc"),
            US_SAY(10, "\r\nSEND FAIL\r\n"),
            US_SAY(10, "\r\n+QSSLURC: \"closed\",0\r\n"),
            US_EXPECT("AT+QSSLCLOSE=0\r"),
            US_SAY(10, "\r\nOK\r\n"),
            US_END};
        uint8_t buf[8];
        us_start(HAL_UART_MODEM, s);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 1, 30000), 0);
        CHECK_INT(modem_send("abc", 3, 5000), 3);
        /* A CONNACK: binary, with a zero byte in it. */
        CHECK_INT(modem_recv(buf, sizeof(buf), 5000), 4);
        CHECK(buf[0] == 0x20 && buf[1] == 2 && buf[2] == 0 && buf[3] == 0);
        CHECK_INT(modem_send("abc", 3, 5000), -EIO);
        CHECK_INT(modem_send("abc", 3, 5000), -EIO);
        modem_close();
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
}

/* A module that never answers, and one that stops in the middle of a
 * line: the caller's deadline ends both. */
static void test_silence(void)
{
        static const struct us_step dead[] = {
            US_EXPECT("AT\r"), US_EXPECT("AT\r"), US_EXPECT("AT\r"), US_EXPECT("AT\r"),
            US_EXPECT("AT\r"), US_EXPECT("AT\r"), US_EXPECT("AT\r"), US_END};
        static const struct us_step stuck[] = {
            US_EXPECT("AT\r"),        US_SAY(10, "\r\nOK\r\n"),     US_EXPECT("ATE0\r"),
            US_SAY(10, "\r\nOK\r\n"), US_EXPECT("AT+CMEE=1\r"),     US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("AT+CEREG?\r"), US_SAY(10, "\r\n+CEREG: 0,"), US_END};
        static const struct us_step slow[] = {US_EXPECT("AT\r"), US_SAY(450, "\r\nOK\r\n"),
                                              US_EXPECT("ATE0\r"), US_END};
        uint64_t t0 = hal_time_ms();
        us_start(HAL_UART_MODEM, dead);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 20000), -ETIMEDOUT);
        CHECK(hal_time_ms() - t0 <= 20000 + MODEM_PWRKEY_MS);
        CHECK(us_finished());
        t0 = hal_time_ms();
        us_start(HAL_UART_MODEM, stuck);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 20000), -ETIMEDOUT);
        CHECK(hal_time_ms() - t0 <= MODEM_CMD_MS + 100);

        /* A slow module: "OK" to the probe just before the caller's 1.2 s
         * are up, then nothing; ATE0 must not take its own 5 s past them. */
        t0 = hal_time_ms();
        us_start(HAL_UART_MODEM, slow);
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 1200), -ETIMEDOUT);
        CHECK(hal_time_ms() - t0 <= 1200);
        CHECK_INT(us_errors(), 0);
}

/* Network time: JST, a negative zone, not yet synchronised, malformed,
 * refused; a URC in the middle of the answer. */
static void test_time(void)
{
        static const struct us_step s[] = {
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CCLK: \"26/12/07,15:30:00+36\"\r\n\r\nOK\r\n"),
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CCLK: \"25/03/01,00:00:05-20\"\r\n"),
            US_SAY(5, "\r\n+QIURC: \"recv\",0\r\n\r\nOK\r\n"),
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CCLK: \"80/01/06,00:01:23+00\"\r\n\r\nOK\r\n"),
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CCLK: \"26/13/07,15:30:00+36\"\r\n\r\nOK\r\n"),
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CCLK: 26/12/07\r\n\r\nOK\r\n"),
            US_EXPECT("AT+CCLK?\r"),
            US_SAY(10, "\r\n+CME ERROR: 3\r\n"),
            US_END};
        int64_t t = 0;
        us_start(HAL_UART_MODEM, s);
        CHECK_INT(modem_time(&t), 0);
        CHECK_I64(t, 1796625000); /* 2026-12-07T06:30:00Z */
        CHECK_INT(modem_time(&t), 0);
        CHECK_I64(t, 1740805205); /* 2025-03-01T05:00:05Z */
        CHECK_INT(modem_time(&t), -ENODATA);
        CHECK_INT(modem_time(&t), -EPROTO);
        CHECK_INT(modem_time(&t), -EPROTO);
        CHECK_INT(modem_time(&t), -ENETDOWN);
        CHECK_I64(t, 1740805205); /* untouched by the failures */
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
}

static void test_rssi(void)
{
        static const struct us_step s[] = {US_EXPECT("AT+CSQ\r"),
                                           US_SAY(10, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+CSQ\r"),
                                           US_SAY(10, "\r\n+CSQ: 99,99\r\n\r\nOK\r\n"),
                                           US_EXPECT("AT+CSQ\r"),
                                           US_SAY(10, "\r\n+CME ERROR: 10\r\n"),
                                           US_EXPECT("AT+CSQ\r"),
                                           US_SAY(10, "\r\ngarbage\r\n+CSQ: 0,0\r\n\r\nOK\r\n"),
                                           US_END};
        int dbm = 0;
        us_start(HAL_UART_MODEM, s);
        CHECK_INT(modem_rssi(&dbm), 0);
        CHECK_INT(dbm, -73);
        CHECK_INT(modem_rssi(&dbm), -ENODATA);
        CHECK_INT(modem_rssi(&dbm), -ENETDOWN);
        CHECK_INT(modem_rssi(&dbm), 0);
        CHECK_INT(dbm, -113);
        CHECK(us_finished());
}

/* Into PSM and out of it by PWRKEY; a network without PSM: powered down. */
static void test_psm(void)
{
        static const struct us_step s[] = {
            US_EXPECT("AT+CPSMS=1,,,\"00100001\",\"00000001\"\r"), US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("AT+QCFG=\"psm/enter\",1\r"), US_SAY(10, "\r\nOK\r\n"),
            /* Asleep: the probes go unanswered, PWRKEY wakes it. */
            US_EXPECT("AT\r"), US_EXPECT("AT\r"), US_SAY(1500, "\r\nRDY\r\n"), US_EXPECT("AT\r"),
            US_SAY(10, "\r\nOK\r\n"), US_EXPECT("ATE0\r"), US_SAY(10, "\r\nOK\r\n"),
            US_EXPECT("AT+CMEE=1\r"), US_SAY(10, "\r\nOK\r\n"), US_EXPECT("AT+CEREG?\r"),
            US_SAY(10, "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"), US_EXPECT("AT+QIACT?\r"),
            US_SAY(10, "\r\n+QIACT: 1,1,1,\"10.45.0.7\"\r\n\r\nOK\r\n"), US_EXPECT(OPEN_TCP),
            US_SAY(10, "\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n"), US_EXPECT("AT+QICLOSE=0\r"),
            US_SAY(10, "\r\nOK\r\n"), US_EXPECT("AT+CPSMS=1,,,\"00100001\",\"00000001\"\r"),
            US_SAY(10, "\r\n+CME ERROR: 4\r\n"), US_EXPECT("AT+QPOWD=1\r"),
            US_SAY(10, "\r\nOK\r\n\r\nPOWERED DOWN\r\n"), US_END};
        us_start(HAL_UART_MODEM, s);
        modem_sleep();
        CHECK_INT(modem_open("mqtt.example.jp", 8883, 0, 30000), 0);
        CHECK_INT(us_pin_rises(HAL_PIN_MODEM_KEY), 1);
        modem_close();
        modem_sleep();
        CHECK_INT(us_pin(HAL_PIN_MODEM_PWR), 0);
        CHECK(us_finished());
        CHECK_INT(us_errors(), 0);
}

int main(void)
{
        test_cold_open();
        test_send_recv();
        test_closed();
        test_errors();
        test_tls();
        test_silence();
        test_time();
        test_rssi();
        test_psm();
        return fwt_done("drv-modem");
}
