/* sonae-confdoc: prints docs/config.md from the option tables.  Not
 * installed; a test compares its output with the checked-in page. */
#include "config.h"

#include <stdio.h>

int main(void)
{
        struct buf b = BUF_INIT(1024 * 1024);
        if (conf_write_markdown(&b) < 0) {
                fprintf(stderr, "sonae-confdoc: out of memory\n");
                return 1;
        }
        fwrite(b.data, 1, b.len, stdout);
        buf_free(&b);
        return 0;
}
