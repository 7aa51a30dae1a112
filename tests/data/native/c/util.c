/* Hashing and reducers: static functions, static inline and always_inline helpers, and
 * small functions gcc inlines by itself at -O2. */
#include "util.h"

#include <string.h>

static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static inline uint32_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint32_t hash_bytes(const void *data, size_t len, uint32_t seed)
{
    const unsigned char *p = data;
    uint32_t h = seed;
    size_t i = 0;
    for (; i + 4 <= len; i += 4)
        h = mix32(h, load32(p + i));
    uint32_t tail = 0;
    switch (len & 3) {
    case 3:
        tail ^= (uint32_t)p[i + 2] << 16;
        /* fall through */
    case 2:
        tail ^= (uint32_t)p[i + 1] << 8;
        /* fall through */
    case 1:
        tail ^= p[i];
        h ^= rotl32(tail * 0xcc9e2d51u, 15) * 0x1b873593u;
    }
    return fmix32(h ^ (uint32_t)len);
}

static uint64_t fold(uint64_t acc, uint32_t word)
{
    return (acc << 7) ^ (acc >> 3) ^ word;
}

uint64_t checksum_words(const uint32_t *words, size_t count)
{
    uint64_t acc = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < count; i++)
        acc = fold(acc, mix32((uint32_t)i, words[i]));
    return acc;
}

static long add(long acc, long value) { return acc + value; }
static long mul_mod(long acc, long value) { return (acc * (value | 1)) % 1000003; }
static long max_of(long acc, long value) { return value > acc ? value : acc; }

long reduce(const long *values, size_t count, long init, reducer_fn fn)
{
    long acc = init;
    for (size_t i = 0; i < count; i++)
        acc = fn(acc, values[i]);
    return acc;
}

reducer_fn pick_reducer(int which)
{
    static const reducer_fn table[] = {add, mul_mod, max_of};
    return table[(unsigned)which % 3];
}
