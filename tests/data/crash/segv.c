/* A multi-threaded C program that crashes with SIGSEGV in an inlined helper, called from
 * noinline functions of the main thread while three workers sit in pause() at different
 * depths. Built -O2 -g by tests/oracle/core_eustack.sh and crashed under gdb (gcore). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t ready;

__attribute__((noinline)) static void park(int depth)
{
    if (depth > 0) {
        park(depth - 1);
        __asm__ volatile("" ::: "memory"); /* keep the recursion a real call */
        return;
    }
    pthread_barrier_wait(&ready);
    for (;;)
        pause();
}

static void *worker(void *arg)
{
    park((int)(long)arg);
    return NULL;
}

static inline int scale(const int *p, int i)
{
    return p[i] * 2; /* p is NULL: the fault */
}

__attribute__((noinline)) int sum_scaled(const int *p, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += scale(p, i);
    return s;
}

__attribute__((noinline)) int process(int n)
{
    int *p = n > 100 ? malloc(sizeof *p) : NULL;
    int r = sum_scaled(p, n);
    free(p);
    return r + 1;
}

int main(int argc, char **argv)
{
    (void)argv;
    pthread_t t[3];
    pthread_barrier_init(&ready, NULL, 4);
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&ready);
    printf("%d\n", process(argc + 3));
    return 0;
}
