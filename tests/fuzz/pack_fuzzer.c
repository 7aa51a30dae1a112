/* Fuzz target for store/pack.c: any bytes given to uv_store_unpack are a clear error or a
 * NUL-free text within the limit (never a crash, never more memory than the limit); and the
 * input taken as text packs and unpacks back to itself (or, holding a NUL, is refused). */
#include "formats/buf.h"
#include "formats/error.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL;
    size_t len = 0;
    int rc = uv_store_unpack(data, size, LIMIT, &text, &len);
    if (rc == 0) {
        if (len > LIMIT || strlen(text) != len) abort();
        free(text);
    } else if (rc != UV_ECORRUPT || text != NULL || !uv_error_last()->message[0]) {
        abort();
    }

    uv_buf packed = UV_BUF_INIT;
    if (uv_store_pack((const char *)data, size, &packed) != 0) abort();
    if (!uv_store_is_packed(packed.data, packed.len)) abort();
    rc = uv_store_unpack(packed.data, packed.len, size, &text, &len);
    bool has_nul = memchr(data, 0, size) != NULL;
    if (has_nul ? rc != UV_ECORRUPT : rc != 0 || len != size || memcmp(text, data, size) != 0)
        abort();
    free(text);
    uv_buf_free(&packed);
    return 0;
}
