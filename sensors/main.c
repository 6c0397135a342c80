/* sonae-ingestd: reads the city's sensor nodes from the MQTT broker and
 * writes every reading to the store exactly once. */
#include "daemon.h"

static const struct daemon_ops ingestd_ops = {
    .name = "sonae-ingestd",
    .summary = "Reads the city's sensor nodes over MQTT into the store.",
};

int main(int argc, char **argv)
{
        return daemon_main(argc, argv, &ingestd_ops, NULL);
}
