/* SIGABRT from abort() in a worker thread, through an inlined check, while the main thread
 * waits in pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static inline void check(int value)
{
    if (value > 3) abort();
}

__attribute__((noinline)) void validate(const int *values, int n)
{
    for (int i = 0; i < n; i++)
        check(values[i]);
}

__attribute__((noinline)) static void *checker(void *arg)
{
    int values[] = {1, 2, 5, (int)(long)arg};
    validate(values, 4);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, checker, (void *)7L);
    pthread_join(t, NULL);
    puts("not reached");
    return 0;
}
