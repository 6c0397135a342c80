/* The HAL as a Linux process: the monotonic clock, sleep, an NVM file in
 * the state folder (pwrite: it survives the process being killed), the
 * ADC and the sensor's UART from the scenario.  The sensor UART speaks the
 * MaxBotix ASCII protocol, so the real driver (drivers/ranger.c) reads it:
 * the banner at power-up, then a range line every few milliseconds
 * (faster than the real 6 Hz, so a burst costs little of a short
 * interval). */
#include "hal.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NVM_SIZE (64u * 1024u)
#define LINE_MS  4

struct scenario host_sc;
int32_t host_mount_mm = 5000;
volatile int host_stop;

static int nvm_fd = -1;
static int64_t story_start_ms; /* wall clock */
static uint64_t mono_start_ms;
static int sensor_on;
static uint64_t sensor_next_ms;
static char sensor_line[128];
static size_t sensor_len, sensor_off;
static int banner_sent;
static uint32_t rnd = 1;

static uint64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t host_story_s(void)
{
        return (wall_ms() - story_start_ms) * (int64_t)host_sc.scale_milli / 1000000;
}

int host_state_open(const char *dir)
{
        char path[4096];
        struct stat st;
        FILE *f;
        mono_start_ms = mono_ms();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        snprintf(path, sizeof(path), "%s/nvm.bin", dir);
        nvm_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (nvm_fd < 0)
                return -errno;
        if (fstat(nvm_fd, &st) < 0 ||
            (st.st_size < (off_t)NVM_SIZE && ftruncate(nvm_fd, NVM_SIZE) < 0))
                return -errno;
        /* The story's start: kept, so that a restarted node is still in the
         * same night. */
        snprintf(path, sizeof(path), "%s/story-start", dir);
        f = fopen(path, "r");
        if (f) {
                long long v;
                if (fscanf(f, "%lld", &v) == 1)
                        story_start_ms = (int64_t)v;
                fclose(f);
        }
        if (!story_start_ms) {
                story_start_ms = wall_ms();
                f = fopen(path, "w");
                if (!f)
                        return -errno;
                fprintf(f, "%lld\n", (long long)story_start_ms);
                fclose(f);
        }
        return 0;
}

uint64_t hal_time_ms(void)
{
        return mono_ms() - mono_start_ms;
}

void hal_sleep_until(uint64_t deadline_ms)
{
        uint64_t t = hal_time_ms();
        if (deadline_ms > t && !host_stop) {
                struct timespec ts = {(time_t)((deadline_ms - t) / 1000),
                                      (long)((deadline_ms - t) % 1000) * 1000000L};
                nanosleep(&ts, NULL); /* a signal ends it early */
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
        (void)baud;
        return port == HAL_UART_SENSOR || port == HAL_UART_CONSOLE ? 0 : -ENODEV;
}

int hal_uart_write(enum hal_uart_port port, const void *buf, size_t len, uint32_t timeout_ms)
{
        (void)timeout_ms;
        if (port == HAL_UART_CONSOLE) {
                fwrite(buf, 1, len, stderr);
                return (int)len;
        }
        return -ENODEV;
}

static int32_t noise(int32_t span)
{
        rnd = rnd * 1664525u + 1013904223u;
        if (span <= 0)
                return 0;
        return (int32_t)((rnd >> 8) % (uint32_t)(2 * span + 1)) - span;
}

/* The next line the sensor prints. */
static void sensor_fill(void)
{
        int32_t mm;
        if (!banner_sent) {
                banner_sent = 1;
                sensor_len = (size_t)snprintf(sensor_line, sizeof(sensor_line),
                                              "HRXL-MaxSonar-WRMT\rPN:MB7389\r"
                                              "Copyright 2011-2013\rMaxBotix Inc.\r");
                sensor_off = 0;
                return;
        }
        mm = host_mount_mm - sc_at(&host_sc.level, host_story_s(), 1000) + noise(host_sc.noise_mm);
        if (mm < 300)
                mm = 300; /* closer than the blanking distance */
        if (mm > 9999)
                mm = 9999; /* no target */
        sensor_len = (size_t)snprintf(sensor_line, sizeof(sensor_line), "R%04d\r", (int)mm);
        sensor_off = 0;
}

int hal_uart_read(enum hal_uart_port port, void *buf, size_t len, uint32_t timeout_ms)
{
        uint64_t t = hal_time_ms(), end = t + timeout_ms;
        size_t k;
        if (port != HAL_UART_SENSOR)
                return -ENODEV;
        if (!sensor_on || sc_in(&host_sc.sensor_dead, host_story_s())) {
                /* A dead line: nothing until the deadline. */
                hal_sleep_until(end);
                return 0;
        }
        if (sensor_off == sensor_len) {
                if (t < sensor_next_ms) {
                        if (sensor_next_ms > end) {
                                hal_sleep_until(end);
                                return 0;
                        }
                        hal_sleep_until(sensor_next_ms);
                }
                sensor_fill();
                sensor_next_ms = hal_time_ms() + LINE_MS;
        }
        k = sensor_len - sensor_off;
        if (k > len)
                k = len;
        memcpy(buf, sensor_line + sensor_off, k);
        sensor_off += k;
        return (int)k;
}

void hal_gpio_set(enum hal_pin pin, int on)
{
        if (pin == HAL_PIN_SENSOR_PWR) {
                if (on && !sensor_on) {
                        banner_sent = 0;
                        sensor_len = sensor_off = 0;
                        sensor_next_ms = hal_time_ms() + 20;
                }
                sensor_on = on;
        }
}

int hal_gpio_get(enum hal_pin pin)
{
        return pin == HAL_PIN_SENSOR_PWR ? sensor_on : 0;
}

int hal_adc_read(enum hal_adc_ch ch, int32_t *value)
{
        int64_t t = host_story_s();
        if (ch == HAL_ADC_BATTERY) {
                *value = sc_at(&host_sc.batt, t, 3600); /* V in thousandths = mV */
                return 0;
        }
        if (ch == HAL_ADC_AIR_TEMP) {
                *value = sc_at(&host_sc.temp, t, 15000) / 10; /* 0.01 °C */
                return 0;
        }
        return -ENODEV;
}

uint32_t hal_nvm_size(void)
{
        return NVM_SIZE;
}

int hal_nvm_read(uint32_t off, void *buf, uint32_t len)
{
        if (off > NVM_SIZE || len > NVM_SIZE - off)
                return -EFAULT;
        return pread(nvm_fd, buf, len, off) == (ssize_t)len ? 0 : -EIO;
}

int hal_nvm_write(uint32_t off, const void *buf, uint32_t len)
{
        if (off > NVM_SIZE || len > NVM_SIZE - off)
                return -EFAULT;
        return pwrite(nvm_fd, buf, len, off) == (ssize_t)len ? 0 : -EIO;
}

void hal_console_write(const char *s)
{
        fputs(s, stderr);
}

void hal_exit(int code)
{
        exit(code);
}
