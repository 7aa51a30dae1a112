/* Fixture for tests/cli/native_symbolicate.sh: prints its own backtrace with glibc's
 * backtrace_symbols_fd() from a nested call chain that includes an inlined function, then
 * the lines of /proc/self/maps that map this executable (so the test knows the load
 * address), then exits. Built with -O2 -g by build.sh. */
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void print_trace(void)
{
    void *frames[32];
    int count = backtrace(frames, 32);
    backtrace_symbols_fd(frames, count, STDOUT_FILENO);
    sink++;
}

__attribute__((noinline)) void leaf_function(int depth)
{
    sink += depth;
    print_trace();
    sink -= depth;
}

/* Inlined into outer_function: its call to leaf_function is a frame inside outer_function
 * whose debug info says "middle_function inlined at crash.c:LINE". */
static inline __attribute__((always_inline)) void middle_function(int depth)
{
    sink *= 3;
    leaf_function(depth + 1);
    sink ^= 5;
}

__attribute__((noinline)) void outer_function(int depth)
{
    middle_function(depth + 1);
    sink++;
}

int main(int argc, char **argv)
{
    (void)argv;
    outer_function(argc);
    fflush(stdout);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!maps || n <= 0) return 1;
    self[n] = '\0';
    while (fgets(line, sizeof line, maps))
        if (strstr(line, self)) printf("maps: %s", line);
    fclose(maps);
    return 0;
}
