/* unravel: dispatches to the command named by the first argument. */
#include "cli/cli.h"

#include "formats/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef UV_VERSION
#define UV_VERSION "0.0.0"
#endif

static const uv_command *const commands[] = {
    &uv_command_upload,    &uv_command_symbolicate, &uv_command_addr2line,
    &uv_command_sourcemap, &uv_command_serve,       &uv_command_project,
    &uv_command_token,     &uv_command_deploy,      &uv_command_dumpsyms,
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const char general_help[] =
    "usage: unravel COMMAND [ARGS...]\n"
    "\n"
    "Unravel turns minified JavaScript stack traces, raw native addresses, core files and\n"
    "minidumps back into readable traces, from the source maps and debug symbols stored for\n"
    "each version.\n"
    "\n"
    "Commands:\n";

static const char common_help[] =
    "\n"
    "Common options: --store DIR (env UNRAVEL_STORE, default ./unravel-data),\n"
    "--format text|json. Exit codes: 0 success, 1 the input had problems, 2 usage error,\n"
    "3 I/O failure.\n"
    "\n"
    "Run `unravel help COMMAND` for the options of one command.\n";

void uv_cli_error(const char *fmt, ...)
{
    fputs("unravel: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void uv_cli_report(const char *prefix)
{
    const uv_error *e = uv_error_last();
    const char *msg = e->message[0] ? e->message : uv_strerror(e->code);
    if (prefix && *prefix)
        uv_cli_error("%s: %s", prefix, msg);
    else
        uv_cli_error("%s", msg);
}

int uv_cli_exit_code(int uv_code)
{
    switch (uv_code) {
    case UV_OK:
        return UV_EXIT_OK;
    case UV_EIO:
    case UV_ENOMEM:
        return UV_EXIT_IO;
    default:
        return UV_EXIT_INPUT;
    }
}

const char *uv_cli_store_dir(const char *option_value)
{
    if (option_value && *option_value) return option_value;
    const char *env = getenv("UNRAVEL_STORE");
    if (env && *env) return env;
    return "./unravel-data";
}

bool uv_cli_parse_format(const char *value, bool *json)
{
    if (strcmp(value, "json") == 0) {
        *json = true;
        return true;
    }
    if (strcmp(value, "text") == 0) {
        *json = false;
        return true;
    }
    uv_cli_error("--format: expected text or json, got '%s'", value);
    return false;
}

void uv_cli_print_help(const uv_command *cmd, FILE *out)
{
    fputs(cmd->help, out);
}

static void print_general_help(FILE *out)
{
    fputs(general_help, out);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-13s %s\n", "help", "show help for a command");
    fprintf(out, "  %-13s %s\n", "version", "print the version");
    fputs(common_help, out);
}

static const uv_command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_general_help(stderr);
        return UV_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc < 3) {
            print_general_help(stdout);
            return UV_EXIT_OK;
        }
        const uv_command *cmd = find_command(argv[2]);
        if (!cmd) {
            uv_cli_error("no such command '%s' (see `unravel help`)", argv[2]);
            return UV_EXIT_USAGE;
        }
        uv_cli_print_help(cmd, stdout);
        return UV_EXIT_OK;
    }
    if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
        printf("unravel %s\n", UV_VERSION);
        return UV_EXIT_OK;
    }
    const uv_command *cmd = find_command(name);
    if (!cmd) {
        uv_cli_error("no such command '%s' (see `unravel help`)", name);
        return UV_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
