#include "console.h"
#include "hal.h"

#include <errno.h>
#include <string.h>

static void say(const char *s)
{
        hal_uart_write(HAL_UART_CONSOLE, s, strlen(s), 1000);
        hal_uart_write(HAL_UART_CONSOLE, "\r\n", 2, 1000);
}

int node_console_prov(struct node_prov *p, uint32_t window_ms)
{
        char line[NODE_PROV_LINE_MAX + 8];
        size_t n = 0;
        unsigned lines = 0;
        int any = 0, bad = 0;
        uint64_t deadline = hal_time_ms() + window_ms;
        node_prov_init(p);
        while (lines < 64) {
                uint8_t c;
                uint64_t t = hal_time_ms();
                int k;
                if (t >= deadline)
                        break;
                k = hal_uart_read(HAL_UART_CONSOLE, &c, 1, (uint32_t)(deadline - t));
                if (k < 0)
                        return any ? k : 0;
                if (k == 0)
                        continue;
                if (c != '\r' && c != '\n') {
                        if (n < sizeof(line))
                                line[n] = (char)c;
                        n++;
                        continue;
                }
                if (n == 0)
                        continue;
                lines++;
                deadline = hal_time_ms() + window_ms;
                if (n > sizeof(line)) {
                        say("error line too long");
                        bad = 1;
                } else {
                        int rc = node_prov_console(p, line, n);
                        any = 1;
                        if (rc == NODE_PROV_END) {
                                const char *why = NULL;
                                if (bad || node_prov_check(p, &why) < 0) {
                                        say(bad ? "error provisioning refused"
                                                : "error provisioning incomplete");
                                        if (why)
                                                say(why);
                                        return -EINVAL;
                                }
                                say("ok provisioned");
                                return 1;
                        }
                        if (rc == -ENOENT) {
                                say("ok unknown key ignored");
                        } else if (rc < 0) {
                                say("error bad line");
                                bad = 1;
                        } else {
                                say("ok");
                        }
                }
                n = 0;
        }
        return any ? -ETIMEDOUT : 0;
}
