/* common/log: levels, and repeated-failure damping with one recovered line. */
#include "check.h"
#include "log.h"
#include "timeutil.h"

static int64_t fake_ms;
static int64_t fake_now(void)
{
        return fake_ms;
}

static int count_lines(const char *s)
{
        int n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

int main(void)
{
        char *mem = NULL;
        size_t memlen = 0;
        FILE *f = open_memstream(&mem, &memlen);
        log_set_stream(f);
        log_init("test", LOG_LVL_INFO);
        log_info("hello %d", 1);
        log_debug("hidden");
        log_err("bad");
        fflush(f);
        CHECK_STR(mem, "info test: hello 1\nerror test: bad\n");

        /* A source failing every minute for two hours: damped lines, then
         * exactly one recovery line. */
        fclose(f);
        free(mem);
        mem = NULL;
        f = open_memstream(&mem, &memlen);
        log_set_stream(f);
        time_set_override(fake_now);
        fake_ms = 1700000000000LL;
        struct log_complain c = LOG_COMPLAIN_INIT;
        int written = 0;
        for (int minute = 0; minute < 120; minute++) {
                written += log_complain(&c, LOG_LVL_WARN, "feed failed") ? 1 : 0;
                fake_ms += 60000;
        }
        /* Quiet periods 60, 120, 240, 480, 960, 1920 s...: far fewer than 120. */
        CHECK(written >= 3 && written <= 8);
        CHECK(log_recovered(&c, "feed ok"));
        CHECK(!log_recovered(&c, "feed ok"));
        fflush(f);
        CHECK_INT(count_lines(mem), written + 1);
        CHECK(strstr(mem, "info test: feed ok (recovered after 120 failures)\n") != NULL);
        /* After recovery the next failure is logged at once. */
        CHECK(log_complain(&c, LOG_LVL_WARN, "feed failed again"));
        time_set_override(NULL);
        log_set_stream(NULL);
        fclose(f);
        free(mem);

        enum log_level l;
        CHECK_INT(log_level_parse("warning", &l), 0);
        CHECK_INT(l, LOG_LVL_WARN);
        CHECK(log_level_parse("loud", &l) < 0);
        return check_done("test_log");
}
