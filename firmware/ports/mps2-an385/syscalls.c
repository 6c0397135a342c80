/* The few system calls newlib-nano needs, for the test images: stdout and
 * stderr go out by semihosting, the heap is the RAM between .bss and the
 * stack (printf may want a buffer).  The node image does not use stdio. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "semihost.h"

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _lseek(int fd, int off, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
void *_sbrk(ptrdiff_t incr);
void _exit(int code);
int _kill(int pid, int sig);
int _getpid(void);

extern char _end, _heap_limit;

int _write(int fd, const char *buf, int len)
{
        if (fd != 1 && fd != 2)
                return -1;
        semihost_write(buf, (size_t)len);
        return len;
}

int _read(int fd, char *buf, int len)
{
        (void)fd;
        (void)buf;
        (void)len;
        return 0;
}

int _close(int fd)
{
        (void)fd;
        return -1;
}

int _lseek(int fd, int off, int whence)
{
        (void)fd;
        (void)off;
        (void)whence;
        return 0;
}

int _fstat(int fd, struct stat *st)
{
        (void)fd;
        st->st_mode = S_IFCHR;
        return 0;
}

int _isatty(int fd)
{
        (void)fd;
        return 1;
}

void *_sbrk(ptrdiff_t incr)
{
        static char *brk = &_end;
        char *prev = brk;
        if (incr < 0 || brk + incr > &_heap_limit) {
                errno = ENOMEM;
                return (void *)-1;
        }
        brk += incr;
        return prev;
}

void _exit(int code)
{
        semihost_exit(code);
}

int _kill(int pid, int sig)
{
        (void)pid;
        (void)sig;
        errno = EINVAL;
        return -1;
}

int _getpid(void)
{
        return 1;
}
