/*
 * malloc_count.so: counts a process's heap allocations, for bench/allocations.sh.
 * Preloaded (LD_PRELOAD), it forwards malloc, calloc, realloc, posix_memalign, aligned_alloc and
 * memalign to glibc's own entry points and counts the calls. On SIGUSR2 it writes the count, in
 * decimal, to the file named by MALLOC_COUNT_FILE: take one snapshot before a load and one after,
 * and the difference over the requests served is the allocations per request.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_ulong allocations;

void *malloc(size_t size) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    *result = memalign(alignment, size);
    return *result ? 0 : 12; /* ENOMEM */
}

/* Async-signal-safe: open, write and close only, digits formatted by hand. */
static void snapshot(int signal) {
    (void)signal;
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path) return;
    char digits[32];
    int length = 0;
    unsigned long value = atomic_load(&allocations);
    char reversed[32];
    do { reversed[length++] = (char)('0' + value % 10); value /= 10; } while (value);
    for (int index = 0; index < length; index++) digits[index] = reversed[length - 1 - index];
    digits[length++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    ssize_t ignored = write(fd, digits, (size_t)length);
    (void)ignored;
    close(fd);
}

__attribute__((constructor)) static void install(void) {
    /* Only this process counts: its children (the embedded redis-server, linked with jemalloc,
     * would crash with glibc's malloc and jemalloc's free) start without the preload. */
    unsetenv("LD_PRELOAD");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = snapshot;
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &action, NULL);
}
