/* Helpers shared by the store unit tests: a fresh temp directory per test and its removal. */
#ifndef UV_STORE_TEST_UTIL_H
#define UV_STORE_TEST_UTIL_H

#include "formats/error.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Creates a new empty directory under $TMPDIR (or /tmp) into buf; aborts the test run when
 * that is impossible (nothing else could be tested). */
static inline void temp_dir(char *buf, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/uv-store-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(2);
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to path (creating or truncating it); returns 0 on success. */
static inline int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Number of entries in dir whose names start with prefix. */
static inline int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static inline int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A new store in root/name (NULL after printing why, when it cannot be opened). */
static inline uv_store *open_store_in(const char *root, const char *name)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    uv_store *s = NULL;
    int rc = uv_store_open(&s, dir, UV_STORE_CREATE);
    if (rc) fprintf(stderr, "open %s: %s\n", dir, uv_error_last()->message);
    return s;
}

/* Runs one SQL statement on the store's database outside the API (blob `arg` bound to ?1 when
 * given); the first column of the first row as text into out (may be NULL). */
static inline int store_sql(uv_store *s, const char *sql, const void *arg, int arg_len, char *out,
                            size_t cap)
{
    char path[600];
    snprintf(path, sizeof path, "%s/unravel.db", uv_store_dir(s));
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 5000);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && arg) sqlite3_bind_blob(st, 1, arg, arg_len, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (out) out[0] = '\0';
        if (out && rc == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* Runs child(arg) in a forked process that then kills itself with SIGKILL — no close, no exit
 * handlers, as a crash would. true when the child died that way (child returned 0); false
 * when it exited instead (child's step failed: its return value is printed). */
static inline bool run_then_sigkill(int (*child)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = child(arg);
        if (rc != 0) _exit(rc);
        raise(SIGKILL);
        _exit(99);
    }
    if (pid < 0) return false;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return false;
    if (WIFEXITED(status)) fprintf(stderr, "child exited with %d\n", WEXITSTATUS(status));
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

#endif
