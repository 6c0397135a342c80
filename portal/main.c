/* sonae-portald: the web portal, the API, live events and feeds. */
#include "daemon.h"

static const struct daemon_ops portald_ops = {
    .name = "sonae-portald",
    .summary = "Serves the residents' page, the HQ dashboard, the API and feeds.",
};

int main(int argc, char **argv)
{
        return daemon_main(argc, argv, &portald_ops, NULL);
}
