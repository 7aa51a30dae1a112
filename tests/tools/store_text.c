/* Test tool: prints every stored occurrence payload of a store as text, one per line (raw, then
 * resolved when there is one), unpacking packed ones — so a test can check that a secret is
 * in no payload, which grepping the files cannot show once payloads are compressed.
 *   store_text STORE_DIR */
#include "formats/error.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int print_value(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return 0;
    const void *data = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    if (sqlite3_column_type(st, col) != SQLITE_BLOB) {
        fwrite(data, 1, len, stdout);
        putchar('\n');
        return 0;
    }
    char *text = NULL;
    if (uv_store_unpack(data, len, (size_t)1 << 30, &text, NULL) != 0) {
        fprintf(stderr, "store_text: %s\n", uv_error_last()->message);
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: store_text STORE_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/unravel.db", argv[1]);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT raw_json, resolved_json FROM occurrences ORDER BY id", -1,
                           &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "store_text: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 1;
    }
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = print_value(st, 0) || print_value(st, 1);
    if (rc == 0 && step != SQLITE_DONE) {
        fprintf(stderr, "store_text: %s: %s\n", path, sqlite3_errmsg(db));
        rc = 1;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
