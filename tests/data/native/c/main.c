/* C test program for the native symbolication oracle: several compilation units, static and
 * inline functions, function pointers, recursion, qsort callbacks. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long ackermann(unsigned m, unsigned long long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int compare_longs(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static inline long square(long v) { return v * v; }

static void fill(long *values, size_t count, uint32_t seed)
{
    for (size_t i = 0; i < count; i++) {
        seed = hash_bytes(&seed, sizeof seed, (uint32_t)i);
        values[i] = (long)(seed % 1000) - 500 + square((long)(i % 7));
    }
}

struct op {
    const char *name;
    long (*apply)(const long *values, size_t count);
};

static long op_sum(const long *values, size_t count) { return reduce(values, count, 0, pick_reducer(0)); }
static long op_prod(const long *values, size_t count) { return reduce(values, count, 1, pick_reducer(1)); }
static long op_max(const long *values, size_t count) { return reduce(values, count, -1000000, pick_reducer(2)); }

static const struct op ops[] = {{"sum", op_sum}, {"prod", op_prod}, {"max", op_max}};

int main(int argc, char **argv)
{
    size_t count = 64 + (size_t)argc * 16;
    long *values = malloc(count * sizeof *values);
    if (!values)
        return 1;
    fill(values, count, (uint32_t)argc);
    qsort(values, count, sizeof *values, compare_longs);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s=%ld\n", ops[i].name, ops[i].apply(values, count));

    struct tree *root = NULL;
    for (size_t i = 0; i < count; i++)
        root = tree_insert(root, (int)values[i]);
    printf("height=%d sum=%ld\n", tree_height(root), tree_sum(root));
    tree_free(root);

    uint32_t words[32];
    for (int i = 0; i < 32; i++)
        words[i] = hash_bytes(argv[0], strlen(argv[0]), (uint32_t)i);
    printf("checksum=%llx ack=%llu\n", (unsigned long long)checksum_words(words, 32),
           ackermann(2, (unsigned long long)argc + 2));
    free(values);
    return 0;
}
