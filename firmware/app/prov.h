/* Provisioning: the node's identity, broker and secret, as the lines of
 * the file `sonae device add` writes (docs/sensors.md): one key=value a
 * line, '#' comments.  The host port reads the file; every port also
 * takes the same lines on its console as "prov key=value" commands,
 * ended by "prov end".  Portable C99, no allocation. */
#ifndef SONAE_NODE_PROV_H
#define SONAE_NODE_PROV_H

#include <stddef.h>
#include <stdint.h>

#include "senml.h"

#define NODE_PROV_LINE_MAX 160

struct node_prov {
        char device[SENML_DEVICE_MAX + 1];
        char username[SENML_DEVICE_MAX + 1];
        char host[64];
        uint16_t port;
        uint8_t tls; /* a CA fingerprint was given: the modem opens TLS */
        char password[64];
        char ca_sha256[100];
        /* Settings the provisioning may carry (0: the compiled-in
         * default).  The intervals may be shorter than the downlink
         * allows: demonstrations and tests tell a night in minutes. */
        int32_t mount_mm;
        uint32_t measure_s, heartbeat_s, flood_s, flood_min_s;
        int32_t start_level_mm;
        uint8_t has_start_level;
};

enum { NODE_PROV_OK = 0, NODE_PROV_SKIP = 1, NODE_PROV_END = 2 };

void node_prov_init(struct node_prov *p);
/* One line of the file (len bytes, no NUL needed, CR/LF stripped).
 * NODE_PROV_OK, NODE_PROV_SKIP for a blank line or comment, -ENOENT for an
 * unknown key (callers warn and go on), -EINVAL or -ERANGE for a bad
 * value (callers refuse the provisioning). */
int node_prov_line(struct node_prov *p, const char *line, size_t len);
/* A console command: "prov key=value" as node_prov_line, "prov end"
 * gives NODE_PROV_END; anything else -EINVAL. */
int node_prov_console(struct node_prov *p, const char *line, size_t len);
/* 0 when the provisioning is complete and consistent (device valid,
 * username equal to it, host, port, password); else -EINVAL with the
 * missing key's name in *why. */
int node_prov_check(const struct node_prov *p, const char **why);

#endif
