/* The source types built into sonae-collectd.  A new feed adds its file
 * under sources/, its descriptor's declaration and one row here. */
#include "source.h"

extern const struct source_type source_kriver;
extern const struct source_type source_amedas;
extern const struct source_type source_kawabou;
extern const struct source_type source_table;
extern const struct source_type source_jma;
extern const struct source_type source_camera;

const struct source_type *const source_types[] = {
    &source_kriver, &source_amedas, &source_kawabou, &source_table, &source_jma,
    &source_camera, NULL,
};
