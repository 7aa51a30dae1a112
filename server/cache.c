/* What a store handle of the service keeps across requests (one cache per pooled handle, used
 * by one request at a time, so no locking): each project's parsed scrub settings and a few
 * JavaScript resolvers with their loaded maps, scope tables and artifact lists. The project's
 * row is read (uv_store_project_state) when the store's change generation moved since the last
 * read, or every STATE_TTL_S seconds: settings text that differs from the cached one is parsed
 * again, and an artifact counter that moved (an upload, a re-upload or a delete, by this
 * process or another) retires the project's resolvers. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Settings are a small JSON object (see ingest.c). */
#define SETTINGS_MAX 65536
/* Projects whose settings are kept, and resolvers kept (distinct project/version pairs) per
 * handle: a service mostly sees a few live versions at a time. */
#define PROJECTS_KEPT 8
#define RESOLVERS_KEPT 8
/* A resolver that grew past this (hostile traces naming endless distinct URLs) is dropped
 * after the request instead of kept. */
#define RESOLVER_FOOTPRINT_MAX ((size_t)64 << 20)
/* Tokens found valid on this handle are believed for TOKEN_TTL_S seconds without asking the
 * store again (a SHA-256 and an index lookup per request otherwise): tokens are never deleted
 * today, and a revocation, when there is one, would take effect within that time. Only valid
 * tokens are kept, so a token made a moment ago works at once. */
/* A project's state (settings, artifact counter) is read again when the store's generation
 * moved (store.h: any process's upload, delete or settings change bumps it after commit) and
 * at least every STATE_TTL_S seconds (a writer killed between commit and bump). */
#define STATE_TTL_S 2
#define TOKENS_KEPT 8
#define TOKEN_TTL_S 5
#define TOKEN_MAX 128

typedef struct {
    int64_t project_id; /* 0: empty slot */
    int64_t changed;    /* artifacts_changed when read */
    char *text;         /* settings text */
    json_t *settings;
    uv_scrub_rules rules;
    uint64_t used;
    uint64_t generation; /* the store's generation read before the state was */
    bool has_generation;
    struct timespec read_at; /* when the state was read */
} project_slot;

typedef struct {
    uv_jsresolver *js; /* NULL: empty slot */
    int64_t project_id;
    int64_t changed;
    char *version; /* NULL for "the trace has none" */
    uint64_t used;
} resolver_slot;

typedef struct {
    char token[TOKEN_MAX]; /* NUL-padded; "" = empty slot */
    int64_t project_id;
    unsigned scopes;
    struct timespec checked;
} token_slot;

struct uv_server_cache {
    token_slot tokens[TOKENS_KEPT];
    size_t token_next; /* the slot the next new token replaces */
    project_slot projects[PROJECTS_KEPT];
    resolver_slot resolvers[RESOLVERS_KEPT];
    uint64_t clock;
    char *scratch; /* SETTINGS_MAX bytes */
};

uv_server_cache *uv_server__cache_new(void)
{
    uv_server_cache *c = calloc(1, sizeof *c);
    if (c && !(c->scratch = malloc(SETTINGS_MAX))) {
        free(c);
        c = NULL;
    }
    return c;
}

/* The token padded to TOKEN_MAX bytes; false when it does not fit. */
static bool pad_token(const char *token, char out[TOKEN_MAX])
{
    size_t n = strlen(token);
    if (n == 0 || n >= TOKEN_MAX) return false;
    memset(out, 0, TOKEN_MAX);
    memcpy(out, token, n);
    return true;
}

/* Whole-buffer comparison in constant time: how far two tokens agree must not show. */
static bool same_token(const char *a, const char *b)
{
    unsigned char diff = 0;
    for (size_t i = 0; i < TOKEN_MAX; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

bool uv_server__cache_token_get(uv_server_cache *c, const char *token, int64_t *project_id,
                                unsigned *scopes)
{
    char padded[TOKEN_MAX];
    if (!pad_token(token, padded)) return false;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool found = false;
    for (size_t i = 0; i < TOKENS_KEPT; i++) {
        token_slot *t = &c->tokens[i];
        bool match = t->token[0] && same_token(t->token, padded); /* every slot is compared */
        if (match && !found && now.tv_sec - t->checked.tv_sec < TOKEN_TTL_S) {
            *project_id = t->project_id;
            *scopes = t->scopes;
            found = true;
        }
    }
    return found;
}

void uv_server__cache_token_put(uv_server_cache *c, const char *token, int64_t project_id,
                                unsigned scopes)
{
    char padded[TOKEN_MAX];
    if (!pad_token(token, padded)) return;
    token_slot *slot = NULL;
    for (size_t i = 0; i < TOKENS_KEPT && !slot; i++)
        if (same_token(c->tokens[i].token, padded)) slot = &c->tokens[i];
    if (!slot) {
        slot = &c->tokens[c->token_next];
        c->token_next = (c->token_next + 1) % TOKENS_KEPT;
    }
    memcpy(slot->token, padded, TOKEN_MAX);
    slot->project_id = project_id;
    slot->scopes = scopes;
    clock_gettime(CLOCK_MONOTONIC, &slot->checked);
}

static void clear_project(project_slot *p)
{
    free(p->text);
    json_decref(p->settings);
    memset(p, 0, sizeof *p);
}

static void clear_resolver(resolver_slot *r)
{
    uv_jsresolve_free(r->js);
    free(r->version);
    memset(r, 0, sizeof *r);
}

void uv_server__cache_free(uv_server_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < PROJECTS_KEPT; i++)
        clear_project(&c->projects[i]);
    for (size_t i = 0; i < RESOLVERS_KEPT; i++)
        clear_resolver(&c->resolvers[i]);
    explicit_bzero(c->tokens, sizeof c->tokens);
    free(c->scratch);
    free(c);
}

int uv_server__cache_project(uv_server_cache *c, uv_store *store, int64_t project_id,
                             const uv_scrub_rules **rules, int64_t *artifacts_changed)
{
    /* Unchanged generation (a memory load) and fresh enough: the slot is the state. */
    uint64_t generation = 0;
    bool has_generation = uv_store_generation(store, &generation);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (size_t i = 0; has_generation && i < PROJECTS_KEPT; i++) {
        project_slot *p = &c->projects[i];
        if (p->project_id == project_id && p->has_generation && p->generation == generation &&
            now.tv_sec - p->read_at.tv_sec < STATE_TTL_S) {
            p->used = ++c->clock;
            *rules = &p->rules;
            *artifacts_changed = p->changed;
            return 0;
        }
    }
    int64_t changed = 0;
    int rc = uv_store_project_state(store, project_id, &changed, c->scratch, SETTINGS_MAX);
    if (rc != 0) return rc;
    *artifacts_changed = changed;
    project_slot *slot = NULL, *victim = &c->projects[0];
    for (size_t i = 0; i < PROJECTS_KEPT; i++) {
        project_slot *p = &c->projects[i];
        if (p->project_id == project_id) slot = p;
        if (p->used < victim->used) victim = p;
    }
    if (slot && strcmp(slot->text, c->scratch) != 0) clear_project(slot), slot = NULL;
    if (!slot) {
        slot = victim;
        clear_project(slot);
        json_error_t error;
        slot->settings = json_loads(c->scratch, 0, &error);
        if (!slot->settings)
            return uv_error_set(UV_ECORRUPT, UV_LIB_JSON, 0, "project settings: %s", error.text);
        slot->text = strdup(c->scratch);
        rc = slot->text ? uv_scrub_rules_from_settings(slot->settings, &slot->rules)
                        : uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        if (rc != 0) {
            clear_project(slot);
            return rc;
        }
        slot->project_id = project_id;
    }
    slot->changed = changed;
    slot->used = ++c->clock;
    slot->generation = generation;
    slot->has_generation = has_generation;
    slot->read_at = now;
    *rules = &slot->rules;
    return 0;
}

static bool same_version(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int uv_server__cache_js(uv_server_cache *c, uv_store *store, int64_t project_id,
                        const char *version, int64_t artifacts_changed, uv_jsresolver **out)
{
    *out = NULL;
    resolver_slot *victim = &c->resolvers[0];
    for (size_t i = 0; i < RESOLVERS_KEPT; i++) {
        resolver_slot *r = &c->resolvers[i];
        if (r->js && r->project_id == project_id && r->changed != artifacts_changed)
            clear_resolver(r); /* the project's uploads changed since it was built */
        if (r->js && r->project_id == project_id && same_version(r->version, version)) {
            r->used = ++c->clock;
            *out = r->js;
            return 0;
        }
        if (!r->js || (victim->js && r->used < victim->used)) victim = r;
    }
    clear_resolver(victim);
    if (version && !(victim->version = strdup(version)))
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    uv_jsresolve_options options = {
        .store = store, .project_id = project_id, .version = victim->version};
    int rc = uv_jsresolve_new(&victim->js, &options);
    if (rc != 0) {
        clear_resolver(victim);
        return rc;
    }
    victim->project_id = project_id;
    victim->changed = artifacts_changed;
    victim->used = ++c->clock;
    *out = victim->js;
    return 0;
}

void uv_server__cache_trim(uv_server_cache *c)
{
    for (size_t i = 0; i < RESOLVERS_KEPT; i++)
        if (c->resolvers[i].js &&
            uv_jsresolve_footprint(c->resolvers[i].js) > RESOLVER_FOOTPRINT_MAX)
            clear_resolver(&c->resolvers[i]);
}
