/* sonae-collectd: polls the configured sources on their schedules (JMA
 * feeds, river levels, rainfall, river cameras) and writes what they say to
 * the store.  The sources arrive with their own issues; this file is the
 * daemon around them. */
#include "daemon.h"

static const struct daemon_ops collectd_ops = {
    .name = "sonae-collectd",
    .summary = "Polls JMA feeds, river levels, rainfall and river cameras into the store.",
};

int main(int argc, char **argv)
{
        return daemon_main(argc, argv, &collectd_ops, NULL);
}
