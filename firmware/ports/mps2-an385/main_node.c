/* sonae-node.elf on the MPS2 AN385: provisioning (console), then the node's main
 * loop for ever.  Before entering it, one step is run and reported on the
 * console so that a smoke run under QEMU can see the node boot, open its
 * queue (a new epoch), measure and queue a reading. */
#include "hal.h"
#include "console.h"
#include "node.h"

#include <string.h>

static struct node node;

static void put_u32(const char *label, uint32_t v)
{
        char num[12];
        int i = 11;
        num[i] = '\0';
        do {
                num[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v && i > 0);
        hal_console_write(label);
        hal_console_write(num + i);
}

int main(void)
{
        static struct node_prov prov;
        int64_t now;
        /* Provisioning on the console (UART0) for a second after boot;
         * without it the board runs as the smoke test's qemu-001. */
        if (hal_uart_open(HAL_UART_CONSOLE, 115200) < 0 || node_console_prov(&prov, 1000) != 1) {
                memset(&prov, 0, sizeof(prov));
                memcpy(prov.device, "qemu-001", 9);
                memcpy(prov.host, "broker.invalid", 15);
                prov.port = 8883;
                prov.tls = 1;
        } else {
                hal_console_write("sonae-node: provisioned ");
                hal_console_write(prov.device);
                hal_console_write("\n");
        }
        if (node_init(&node, &prov) < 0) {
                hal_console_write("sonae-node: NVM unusable\n");
                hal_exit(2);
        }
        put_u32("sonae-node: epoch ", node.q.epoch);
        put_u32(", queue slots ", node.q.slots);
        hal_console_write("\n");
        now = (int64_t)(hal_time_ms() / 1000);
        node_step(&node, now);
        put_u32("sonae-node: queued ", fwq_unsent(&node.q));
        put_u32(", sessions failed ", node.sessions_failed);
        hal_console_write("\n");
        node_run(&node, 0);
        return 0;
}
