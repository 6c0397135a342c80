/* common/buf and common/json: caps hold, output is valid JSON. */
#include "buf.h"
#include "check.h"
#include "json.h"

#include <errno.h>
#include <math.h>

int main(void)
{
        struct buf b = BUF_INIT(16);
        CHECK_INT(buf_puts(&b, "0123456789"), 0);
        CHECK_INT(buf_puts(&b, "abcdef"), 0);
        CHECK_INT((int)b.len, 16);
        /* Past the cap: refused, and the buffer is as it was. */
        CHECK_INT(buf_putc(&b, 'x'), -ENOBUFS);
        CHECK_INT((int)b.len, 16);
        CHECK_STR(b.data, "0123456789abcdef");
        CHECK_INT(buf_printf(&b, "%d", 1), -ENOBUFS);
        buf_reset(&b);
        CHECK_INT(buf_printf(&b, "%s-%d", "a", 42), 0);
        CHECK_STR(b.data, "a-42");
        size_t len;
        char *p = buf_steal(&b, &len);
        CHECK_STR(p, "a-42");
        CHECK_INT((int)len, 4);
        CHECK(b.data == NULL);
        free(p);
        buf_free(&b);
        buf_free(NULL);

        struct buf o = BUF_INIT(0);
        struct json_writer w;
        json_init(&w, &o);
        json_obj_begin(&w);
        json_key(&w, "title");
        json_str(&w, "気象警報・注意報\n\"引用\"\\\x01");
        json_key(&w, "serial");
        json_int(&w, 3);
        json_key(&w, "level");
        json_null_value(&w);
        json_key(&w, "nan");
        json_double(&w, NAN);
        json_key(&w, "depth");
        json_double(&w, 0.1);
        json_key(&w, "list");
        json_arr_begin(&w);
        json_int(&w, 1);
        json_bool(&w, true);
        json_obj_begin(&w);
        json_obj_end(&w);
        json_arr_begin(&w);
        json_arr_end(&w);
        json_arr_end(&w);
        json_key(&w, "none");
        json_str(&w, NULL);
        json_obj_end(&w);
        CHECK_INT(json_error(&w), 0);
        CHECK_STR(o.data, "{\"title\":\"気象警報・注意報\\n\\\"引用\\\"\\\\\\u0001\",\"serial\":3,"
                          "\"level\":null,\"nan\":null,\"depth\":0.1,\"list\":[1,true,{},[]],"
                          "\"none\":null}");
        buf_free(&o);

        /* A writer over a tiny buffer reports the overflow once and stays
         * failed. */
        struct buf small = BUF_INIT(8);
        json_init(&w, &small);
        json_arr_begin(&w);
        json_str(&w, "longer than eight");
        json_arr_end(&w);
        CHECK_INT(json_error(&w), -ENOBUFS);
        buf_free(&small);
        return check_done("test_buf_json");
}
