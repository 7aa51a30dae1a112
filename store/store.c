/* The store handle: opening (and creating) a store directory, the SQLite connection and its
 * settings, versioned schema migrations, and the small filesystem helpers the blob and cache
 * code share. Layout, schema and guarantees are described in docs/store.md.
 *
 * Schema versions live in PRAGMA user_version; `migrations` below is the ordered history:
 * entry i moves a database from version i to i+1 and runs in its own IMMEDIATE transaction
 * that also bumps user_version, so a crash leaves either the old or the new schema. Later
 * tables (deploys, items, occurrences, tokens) are appended as new entries; an existing
 * entry is never edited once released. */
#include "store/store_internal.h"

#include "formats/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "UnRv": marks unravel.db as ours so another program's SQLite file is not migrated. */
#define UV_STORE_APPLICATION_ID 0x556e5276

/* How long a writer waits for another process's write lock before failing with "database
 * is locked": long enough for any single upload transaction, short enough to surface a hung
 * peer. */
#define UV_STORE_BUSY_TIMEOUT_MS 5000

static const char *const migrations[] = {
    /* 1: projects, versions, artifacts */
    "CREATE TABLE projects ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE versions ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  version TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (project_id, version)"
    ");"
    "CREATE TABLE artifacts ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  blob TEXT NOT NULL CHECK (length(blob) = 64),"
    "  size INTEGER NOT NULL CHECK (size >= 0),"
    "  debug_id TEXT COLLATE NOCASE," /* NULL when none */
    "  meta TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (project_id, version_id, kind, key)"
    ");"
    /* (project, version, kind) lookups use the UNIQUE index above; these serve the rest */
    "CREATE INDEX artifacts_debug_id ON artifacts (project_id, debug_id, kind, created_at, id)"
    "  WHERE debug_id IS NOT NULL;"
    "CREATE INDEX artifacts_kind_key ON artifacts (project_id, kind, key);"
    "CREATE INDEX artifacts_version ON artifacts (version_id);"
    "CREATE INDEX artifacts_blob ON artifacts (blob);",

    /* 2: the service's index: project settings, tokens, items, occurrences, deploys
     * (store/service.c; docs/store.md "Service tables") */
    "ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';"
    "CREATE INDEX versions_first_seen ON versions (project_id, created_at, id);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),"
    "  scopes INTEGER NOT NULL CHECK (scopes > 0),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX tokens_project ON tokens (project_id);"
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  counter INTEGER NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  exception_class TEXT NOT NULL DEFAULT '',"
    "  level TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','resolved','muted')),"
    "  resolved_in_version TEXT NOT NULL DEFAULT '',"
    "  total INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  environments TEXT NOT NULL DEFAULT '',"
    "  last_version TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (project_id, fingerprint),"
    "  UNIQUE (project_id, counter)"
    ");"
    "CREATE INDEX items_recent ON items (project_id, last_seen, id);"
    "CREATE INDEX items_status_recent ON items (project_id, status, last_seen, id);"
    "CREATE TABLE occurrences ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  uuid TEXT NOT NULL,"
    "  timestamp INTEGER NOT NULL,"
    "  version TEXT NOT NULL DEFAULT '',"
    "  environment TEXT NOT NULL DEFAULT '',"
    "  level TEXT NOT NULL,"
    "  platform TEXT NOT NULL DEFAULT '',"
    "  source TEXT NOT NULL DEFAULT '',"
    "  raw_json TEXT NOT NULL,"
    "  resolved_json TEXT," /* NULL until symbolicated */
    "  unresolved INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (project_id, uuid)"
    ");"
    "CREATE INDEX occurrences_item ON occurrences (item_id, timestamp, id);"
    "CREATE INDEX occurrences_unresolved ON occurrences (project_id, version, id)"
    "  WHERE unresolved <> 0;"
    "CREATE TABLE deploys ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  environment TEXT NOT NULL,"
    "  revision TEXT NOT NULL,"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('started','succeeded','failed','timed_out')),"
    "  comment TEXT NOT NULL DEFAULT '',"
    "  local_username TEXT NOT NULL DEFAULT '',"
    "  start_time INTEGER NOT NULL,"
    "  finish_time INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX deploys_recent ON deploys (project_id, start_time, id);",
    /* 3: a per-project counter of artifact changes, kept by triggers, so a long-lived resolver
     * (the service keeps them across requests) can tell in one primary-key read that its
     * artifact lists are stale, whoever wrote the store (the service or the CLI) */
    "ALTER TABLE projects ADD COLUMN artifacts_changed INTEGER NOT NULL DEFAULT 0;"
    "CREATE TRIGGER artifacts_changed_insert AFTER INSERT ON artifacts BEGIN"
    "  UPDATE projects SET artifacts_changed = artifacts_changed + 1 WHERE id = NEW.project_id;"
    " END;"
    "CREATE TRIGGER artifacts_changed_update AFTER UPDATE ON artifacts BEGIN"
    "  UPDATE projects SET artifacts_changed = artifacts_changed + 1"
    "   WHERE id IN (OLD.project_id, NEW.project_id);"
    " END;"
    "CREATE TRIGGER artifacts_changed_delete AFTER DELETE ON artifacts BEGIN"
    "  UPDATE projects SET artifacts_changed = artifacts_changed + 1 WHERE id = OLD.project_id;"
    " END;",
};

#define UV_STORE_SCHEMA_LATEST ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- helpers shared with blob.c, cache.c, index.c ------------------------------------ */

int uv_store__sql_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_NOMEM:
        return UV_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return UV_ECORRUPT;
    case SQLITE_TOOBIG:
        return UV_ETOOBIG;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return UV_EINVALID;
    default:
        return UV_EIO;
    }
}

int uv_store__sql_error(uv_store *store, int rc, const char *what)
{
    const char *msg = store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
    return uv_error_set(uv_store__sql_code(rc), UV_LIB_SQL, rc, "store %s: %s: %s", store->dir,
                        what, msg);
}

char *uv_store__join(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    char *p = malloc(la + lb + lc + 3);
    if (!p) {
        uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory joining path %s/%s", a, b);
        return NULL;
    }
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    if (c) {
        p[la + 1 + lb] = '/';
        memcpy(p + la + 2 + lb, c, lc + 1);
    }
    return p;
}

int uv_store__mkdir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0) return 0;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    if (err == EEXIST)
        return uv_error_set(UV_EIO, UV_LIB_OS, ENOTDIR, "%s: exists and is not a directory", path);
    return uv_error_set(UV_EIO, UV_LIB_OS, err, "%s: cannot create directory: %s", path,
                        strerror(err));
}

/* mkdir -p: creates every missing component of path. */
static int mkdir_parents(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    int rc = 0;
    for (char *p = copy + 1; *p && rc == 0; p++) {
        if (*p != '/') continue;
        *p = '\0';
        rc = uv_store__mkdir(copy, 0755);
        *p = '/';
    }
    if (rc == 0) rc = uv_store__mkdir(copy, 0755);
    free(copy);
    return rc;
}

int uv_store__fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: cannot open directory: %s", path,
                            strerror(errno));
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL) /* EINVAL: the filesystem cannot sync dirs */
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: fsync: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int uv_store__temp_create(const char *dir, char **out_path)
{
    static atomic_uint counter;
    *out_path = NULL;
    for (int attempt = 0; attempt < 100; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char name[96];
        snprintf(name, sizeof name, "tmp-%ld-%u-%ld", (long)getpid(), atomic_fetch_add(&counter, 1),
                 (long)ts.tv_nsec);
        char *path = uv_store__join(dir, name, NULL);
        if (!path) return UV_ENOMEM;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *out_path = path;
            return fd;
        }
        int err = errno;
        if (err != EEXIST) {
            uv_error_set(UV_EIO, UV_LIB_OS, err, "%s: cannot create: %s", path, strerror(err));
            free(path);
            return UV_EIO;
        }
        free(path);
    }
    return uv_error_set(UV_EIO, UV_LIB_OS, EEXIST, "%s: cannot find a free temp file name", dir);
}

int uv_store__write_all(int fd, const void *data, size_t len, const char *path)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: write: %s", path, strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void uv_store__remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    time_t cutoff = time(NULL) - UV_STORE_STALE_TEMP_SECONDS;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "tmp-", 4) != 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISREG(st.st_mode) && st.st_mtime < cutoff) unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

bool uv_store__valid_hex(const char *hex)
{
    if (!hex) return false;
    for (int i = 0; i < 64; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return hex[64] == '\0';
}

/* ---- open / migrate / close ---------------------------------------------------------- */

static int exec_sql(uv_store *store, const char *sql, const char *what)
{
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : uv_store__sql_error(store, rc, what);
}

/* Runs a single-value PRAGMA query ("PRAGMA user_version") into *out. */
static int pragma_int(uv_store *store, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) rc = uv_store__sql_error(store, rc, sql);
    sqlite3_finalize(st);
    return rc;
}

static int set_journal_wal(uv_store *store)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = uv_store__sql_error(store, rc, "setting WAL journal mode");
    } else {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        rc = 0;
        if (!mode || strcmp(mode, "wal") != 0)
            rc = uv_error_set(UV_EUNSUPPORTED, UV_LIB_SQL, 0,
                              "store %s: the filesystem does not support WAL mode (journal "
                              "mode is %s)",
                              store->dir, mode ? mode : "unknown");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The schema version check_schema migrates to: the latest, or a lower one for the tests'
 * uv_store__open_schema (thread-local: it only lasts for that one open). */
static _Thread_local int migrate_target;

static int schema_target(void)
{
    return migrate_target > 0 ? migrate_target : UV_STORE_SCHEMA_LATEST;
}

/* Applies migrations[from..] each in its own IMMEDIATE transaction, re-reading the version
 * under the write lock so two processes opening a new store at once do not both migrate. */
static int migrate(uv_store *store)
{
    for (;;) {
        int rc = exec_sql(store, "BEGIN IMMEDIATE", "starting schema migration");
        if (rc) return rc;
        int64_t version = 0;
        rc = pragma_int(store, "PRAGMA user_version", &version);
        if (rc == 0 && version >= schema_target()) {
            store->schema_version = (int)version;
            return exec_sql(store, "COMMIT", "finishing schema migration");
        }
        char what[96];
        snprintf(what, sizeof what, "migrating to schema version %" PRId64, version + 1);
        if (rc == 0) rc = exec_sql(store, migrations[version], what);
        if (rc == 0 && version == 0) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA application_id=%d", UV_STORE_APPLICATION_ID);
            rc = exec_sql(store, sql, what);
        }
        if (rc == 0) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version=%" PRId64, version + 1);
            rc = exec_sql(store, sql, what);
        }
        if (rc == 0) rc = exec_sql(store, "COMMIT", what);
        if (rc) {
            sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}

/* Checks the database is ours and of a schema we know, migrating it when writable. */
static int check_schema(uv_store *store)
{
    int64_t version = 0, app_id = 0;
    int rc = pragma_int(store, "PRAGMA application_id", &app_id);
    if (rc == 0) rc = pragma_int(store, "PRAGMA user_version", &version);
    if (rc) return rc;
    if (app_id != 0 && app_id != UV_STORE_APPLICATION_ID)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "store %s: unravel.db belongs to another program (application_id "
                            "0x%" PRIx64 ")",
                            store->dir, (uint64_t)app_id);
    if (version < 0 || version > UV_STORE_SCHEMA_LATEST)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "store %s has schema version %" PRId64 ", this unravel knows up to %d",
                            store->dir, version, UV_STORE_SCHEMA_LATEST);
    store->schema_version = (int)version;
    if (version >= schema_target()) return 0;
    if (store->flags & UV_STORE_READONLY)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "store %s has schema version %" PRId64
                            " and needs migrating to %d: open it once read-write",
                            store->dir, version, UV_STORE_SCHEMA_LATEST);
    return migrate(store);
}

static int open_db(uv_store *store, const char *db_path)
{
    int oflags = SQLITE_OPEN_NOMUTEX;
    if (store->flags & UV_STORE_READONLY)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(db_path, &store->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        rc = uv_store__sql_error(store, rc, "opening unravel.db");
        sqlite3_close(store->db);
        store->db = NULL;
        return rc;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, UV_STORE_BUSY_TIMEOUT_MS);
    if (!(store->flags & UV_STORE_READONLY)) {
        /* 16 KiB pages for a new database (a no-op for an existing one): an occurrence row
         * (~2–4 KB of payload and results) then shares its page with others, and a group
         * commit writes fewer, larger log frames — ~15% more occurrences a second than with
         * SQLite's 4 KiB default (docs/benchmarks.md). Set before WAL mode, which fixes it. */
        rc = exec_sql(store, "PRAGMA page_size=16384", "setting the page size");
        if (rc) return rc;
        /* A commit that grows the log past 512 pages (8 MiB) copies it into the database:
         * SQLite's 1000 pages of 16 KiB stalled that commit's group long enough to put the
         * service's p99 at ~30 ms; 8 MiB keeps it at ~23 ms for ~7% less throughput
         * (docs/benchmarks.md). */
        if (sqlite3_wal_autocheckpoint(store->db, 512) != SQLITE_OK)
            return uv_store__sql_error(store, SQLITE_ERROR, "setting wal_autocheckpoint");
        rc = set_journal_wal(store);
        if (rc) return rc;
    }
    /* FULL: every commit fsyncs the WAL, so an acknowledged write survives power loss. */
    rc = exec_sql(store, "PRAGMA synchronous=FULL", "setting synchronous=FULL");
    if (rc == 0) rc = exec_sql(store, "PRAGMA foreign_keys=ON", "enabling foreign keys");
    if (rc == 0) rc = check_schema(store);
    return rc;
}

/* Maps dir/unravel.gen (created, one page, when writable). Failure is not an error: the
 * store then reports no generation and readers fall back to reading state every time. */
static void map_generation(uv_store *store)
{
    size_t n = strlen(store->dir) + sizeof "/unravel.gen";
    char *path = malloc(n);
    if (!path) return;
    snprintf(path, n, "%s/unravel.gen", store->dir);
    bool writable = !(store->flags & UV_STORE_READONLY);
    int fd = open(path, writable ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);
    free(path);
    if (fd < 0) return;
    struct stat st;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (ok && st.st_size < page) ok = writable && ftruncate(fd, page) == 0;
    void *map = ok ? mmap(NULL, (size_t)page, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                          MAP_SHARED, fd, 0)
                   : MAP_FAILED;
    close(fd);
    if (map != MAP_FAILED) store->generation = map;
}

/* Log frames past which a deferred-sync handle copies the log into the database: the same
 * 8 MiB as the automatic checkpoints of other handles (wal_autocheckpoint 512 pages). */
#define LOG_CHECKPOINT_FRAMES 512

static int count_log_frames(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((uv_store *)arg)->log_frames = frames;
    return SQLITE_OK;
}

int uv_store_defer_sync(uv_store *store)
{
    if (store->flags & UV_STORE_READONLY)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: opened read-only", store->dir);
    int rc = exec_sql(store, "PRAGMA synchronous=OFF", "setting synchronous=OFF");
    if (rc) return rc;
    sqlite3_wal_hook(store->db, count_log_frames, store); /* replaces the automatic checkpoints */
    store->sync_deferred = true;
    return 0;
}

int uv_store_log_flush(uv_store *store)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/unravel.db-wal", store->dir) >= (int)sizeof path)
        return uv_error_set(UV_EINVALID, UV_LIB_OS, 0, "store %s: path too long", store->dir);
    /* The log is SQLite's, reopened by path: if it was ever replaced, sync the new one. */
    struct stat by_path, by_fd;
    if (stat(path, &by_path) != 0)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: %s: %s", store->dir, path,
                            strerror(errno));
    if (store->log_fd_open && (fstat(store->log_fd, &by_fd) != 0 ||
                               by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev)) {
        close(store->log_fd);
        store->log_fd_open = false;
    }
    if (!store->log_fd_open) {
        store->log_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (store->log_fd < 0)
            return uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: opening %s: %s", store->dir,
                                path, strerror(errno));
        store->log_fd_open = true;
    }
    if (fdatasync(store->log_fd) != 0)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: syncing %s: %s", store->dir, path,
                            strerror(errno));
    return 0;
}

bool uv_store_log_due(const uv_store *store)
{
    return store->sync_deferred && store->log_frames >= LOG_CHECKPOINT_FRAMES;
}

int uv_store_log_checkpoint(uv_store *store)
{
    if (store->in_tx)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: a checkpoint inside a transaction", store->dir);
    /* synchronous=FULL for the checkpoint only: it syncs the log before copying and the
     * database after, so the log's space is never reused before its pages are on disk. */
    int rc = exec_sql(store, "PRAGMA synchronous=FULL", "setting synchronous=FULL");
    if (rc) return rc;
    int log = 0, copied = 0;
    int step = sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (step != SQLITE_OK && step != SQLITE_BUSY) /* busy: another handle checkpoints now */
        rc = uv_store__sql_error(store, step, "checkpointing the log");
    int rc2 = exec_sql(store, "PRAGMA synchronous=OFF", "setting synchronous=OFF");
    if (rc == 0 && log == copied) store->log_frames = 0; /* all copied: the log restarts */
    return rc ? rc : rc2;
}

bool uv_store_generation(const uv_store *store, uint64_t *out)
{
    if (!store->generation) return false;
    *out = atomic_load_explicit(store->generation, memory_order_acquire);
    return true;
}

void uv_store__state_changed(uv_store *store)
{
    store->state_dirty = true;
}

void uv_store__announce(uv_store *store, bool committed)
{
    if (!store->state_dirty) return;
    store->state_dirty = false;
    if (committed && store->generation && !(store->flags & UV_STORE_READONLY))
        atomic_fetch_add_explicit(store->generation, 1, memory_order_release);
}

int uv_store_open(uv_store **out, const char *dir, int flags)
{
    *out = NULL;
    if (!dir || !*dir) return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store: empty directory");
    if ((flags & UV_STORE_CREATE) && (flags & UV_STORE_READONLY))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: cannot both create and open read-only", dir);
    uv_store *store = calloc(1, sizeof *store);
    if (!store) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    store->flags = flags;
    store->dir = strdup(dir);
    store->blobs_dir = uv_store__join(dir, "blobs", NULL);
    store->cache_dir = uv_store__join(dir, "cache", NULL);
    char *db_path = uv_store__join(dir, "unravel.db", NULL);
    int rc = 0;
    if (!store->dir || !store->blobs_dir || !store->cache_dir || !db_path) {
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        goto fail;
    }

    struct stat st;
    bool created_dir = false;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT) {
            rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: %s", dir, strerror(errno));
            goto fail;
        }
        if (!(flags & UV_STORE_CREATE)) {
            rc = uv_error_set(UV_ENOTFOUND, UV_LIB_OS, ENOENT, "store %s does not exist", dir);
            goto fail;
        }
        rc = mkdir_parents(dir);
        if (rc) goto fail;
        created_dir = true;
    } else if (!S_ISDIR(st.st_mode)) {
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s is not a directory", dir);
        goto fail;
    }
    bool db_exists = stat(db_path, &st) == 0;
    if (!db_exists && !(flags & UV_STORE_CREATE)) {
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                          "store %s does not exist (the directory has no unravel.db)", dir);
        goto fail;
    }
    if (!(flags & UV_STORE_READONLY)) {
        rc = uv_store__mkdir(store->blobs_dir, 0755);
        if (rc == 0) rc = uv_store__mkdir(store->cache_dir, 0755);
        if (rc) goto fail;
    }
    rc = open_db(store, db_path);
    if (rc) goto fail;
    rc = uv_store__cache_init(store);
    if (rc) goto fail;
    map_generation(store);
    if (!db_exists) {
        /* make the new directory entries durable, like every later write */
        rc = uv_store__fsync_dir(dir);
        if (rc == 0 && created_dir) {
            char *parent = strdup(dir);
            if (parent) {
                char *slash = strrchr(parent, '/');
                if (slash == parent)
                    slash[1] = '\0';
                else if (slash)
                    *slash = '\0';
                else
                    strcpy(parent, ".");
                rc = uv_store__fsync_dir(parent);
                free(parent);
            }
        }
        if (rc) goto fail;
    }
    if (!(flags & UV_STORE_READONLY)) {
        uv_store__remove_stale_temps(store->blobs_dir);
        uv_store__remove_stale_temps(store->cache_dir);
    }
    free(db_path);
    *out = store;
    return 0;
fail:
    free(db_path);
    uv_store_close(store);
    return rc;
}

int uv_store__open_schema(uv_store **out, const char *dir, int flags, int schema_version)
{
    *out = NULL;
    if (schema_version < 1 || schema_version > UV_STORE_SCHEMA_LATEST)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: no schema version %d",
                            dir ? dir : "(null)", schema_version);
    migrate_target = schema_version;
    int rc = uv_store_open(out, dir, flags);
    migrate_target = 0;
    return rc;
}

void uv_store_close(uv_store *store)
{
    if (!store) return;
    uv_store__stmts_free(store);
    uv_store__service_free(store);
    if (store->db) {
        if (store->in_tx) sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        /* The last handle to close copies the log into the database and removes it: with
         * deferred sync that copy must still be synced before the log goes. */
        if (store->sync_deferred)
            sqlite3_exec(store->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        sqlite3_close_v2(store->db);
    }
    if (store->generation) {
        long page = sysconf(_SC_PAGESIZE);
        munmap((void *)store->generation, page > 0 ? (size_t)page : 4096);
    }
    if (store->log_fd_open) close(store->log_fd);
    free(store->dir);
    free(store->blobs_dir);
    free(store->cache_dir);
    free(store);
}

const char *uv_store_dir(const uv_store *store)
{
    return store->dir;
}

int uv_store_schema_version(const uv_store *store)
{
    return store->schema_version;
}
