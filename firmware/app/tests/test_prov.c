/* The provisioning parser (app/prov.c): the file `sonae device add`
 * writes (docs/sensors.md) with the demo's speed keys, the same lines as
 * console commands, and what a mistyped or hostile file holds: unknown
 * keys, values out of range, a device id with a slash, an overlong
 * password, a line without '=', a username that is not the device. */
#include "fw_test.h"
#include "prov.h"

#include <errno.h>

static const char *file[] = {
    "# Sonae sensor node provisioning (docs/sensors.md).  Holds the node's\n",
    "# secret: copy it to the node, then keep it offline.\n",
    "device=br-001\n",
    "username=br-001\n",
    "password=Q2hhbmdlLW1lLXBsZWFzZQ_x\r\n",
    "host=mqtt.example.jp\n",
    "port=8883\n",
    "ca_sha256=0F:C1:A3:B8:46\n",
    "mount_mm=5200\n",
    "\n",
    "measure_s=10\n",
    "flood_s=10\n",
    "heartbeat_s=60\n",
    "flood_min_s=60\n",
    "start_level_m=-0.25\n",
};

static int line(struct node_prov *p, const char *s)
{
        return node_prov_line(p, s, strlen(s));
}

int main(void)
{
        struct node_prov p;
        const char *why = NULL;
        unsigned i;
        int skipped = 0;
        node_prov_init(&p);
        for (i = 0; i < sizeof(file) / sizeof(file[0]); i++) {
                int rc = line(&p, file[i]);
                CHECK(rc >= 0);
                skipped += rc == NODE_PROV_SKIP;
        }
        CHECK_INT(skipped, 3);
        CHECK_INT(node_prov_check(&p, &why), 0);
        CHECK_STR(p.device, "br-001");
        CHECK_STR(p.password, "Q2hhbmdlLW1lLXBsZWFzZQ_x");
        CHECK_STR(p.host, "mqtt.example.jp");
        CHECK_INT(p.port, 8883);
        CHECK_INT(p.tls, 1);
        CHECK_INT(p.mount_mm, 5200);
        CHECK_INT(p.measure_s, 10);
        CHECK_INT(p.heartbeat_s, 60);
        CHECK_INT(p.flood_min_s, 60);
        CHECK_INT(p.start_level_mm, -250);
        CHECK_INT(p.has_start_level, 1);

        /* Without a CA fingerprint the node speaks plain TCP. */
        CHECK_INT(line(&p, "ca_sha256="), 0);
        CHECK_INT(p.tls, 0);

        /* Hostile or mistyped lines. */
        CHECK_INT(line(&p, "colour=blue"), -ENOENT);
        CHECK_INT(line(&p, "port=65536"), -ERANGE);
        CHECK_INT(line(&p, "port=0"), -ERANGE);
        CHECK_INT(line(&p, "port=88a3"), -EINVAL);
        CHECK_INT(line(&p, "port="), -EINVAL);
        CHECK_INT(line(&p, "port=99999999999999999999"), -EINVAL);
        CHECK_INT(p.port, 8883); /* untouched by the refusals */
        CHECK_INT(line(&p, "device=../etc"), -EINVAL);
        CHECK_INT(line(&p, "measure_s=0"), -ERANGE);
        CHECK_INT(line(&p, "start_level_m=1.2345"), -EINVAL);
        CHECK_INT(line(&p, "start_level_m=99"), -ERANGE);
        CHECK_INT(line(&p, "start_level_m=-"), -EINVAL);
        CHECK_INT(line(&p, "mount_mm=-5"), -EINVAL);
        CHECK_INT(line(&p, "no equals sign"), -EINVAL);
        CHECK_INT(
            line(&p, "password=0123456789012345678901234567890123456789012345678901234567890123"),
            -ERANGE);
        CHECK_INT(line(&p, "   # an indented comment"), NODE_PROV_SKIP);

        /* The username must be the device id (the broker user). */
        CHECK_INT(line(&p, "username=br-002"), 0);
        CHECK_INT(node_prov_check(&p, &why), -EINVAL);
        CHECK(why && strncmp(why, "username", 8) == 0);

        /* Console commands. */
        node_prov_init(&p);
        CHECK_INT(node_prov_console(&p, "prov device=br-009\r\n", 20), 0);
        CHECK_INT(node_prov_console(&p, "prov end\r\n", 10), NODE_PROV_END);
        CHECK_INT(node_prov_console(&p, "reboot", 6), -EINVAL);
        CHECK_INT(node_prov_console(&p, "prov", 4), -EINVAL);
        CHECK_STR(p.device, "br-009");
        CHECK_INT(node_prov_check(&p, &why), -EINVAL);
        CHECK_STR(why, "password");
        return fwt_done("prov");
}
