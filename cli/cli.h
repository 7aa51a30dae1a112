/* The unravel command line: one binary, git-style subcommands, one file per command.
 * A command parses its arguments, calls one library function, prints. */
#ifndef UV_CLI_H
#define UV_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (DESIGN.md): 0 success; 1 the input had problems; 2 usage; 3 I/O or server. */
enum {
    UV_EXIT_OK = 0,
    UV_EXIT_INPUT = 1,
    UV_EXIT_USAGE = 2,
    UV_EXIT_IO = 3,
};

typedef struct {
    const char *name;
    const char *summary;               /* one line for `unravel help` */
    const char *help;                  /* the full text of `unravel help NAME` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} uv_command;

extern const uv_command uv_command_sourcemap;
extern const uv_command uv_command_upload;
extern const uv_command uv_command_symbolicate;
extern const uv_command uv_command_addr2line;
extern const uv_command uv_command_serve;
extern const uv_command uv_command_project;
extern const uv_command uv_command_token;
extern const uv_command uv_command_deploy;
extern const uv_command uv_command_dumpsyms;

/* Prints "unravel: " + message + newline to stderr. */
void uv_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the last uv_error with a prefix ("unravel: PREFIX: message"). */
void uv_cli_report(const char *prefix);

/* Maps a negative UV_E* code to an exit code: invalid/corrupt/not found/unsupported/too big →
 * 1, I/O and out of memory → 3. */
int uv_cli_exit_code(int uv_code);

/* The store directory: the --store value when given, else $UNRAVEL_STORE, else
 * ./unravel-data. */
const char *uv_cli_store_dir(const char *option_value);

/* Parses --format: "text" or "json"; returns false (after printing the error) otherwise. */
bool uv_cli_parse_format(const char *value, bool *json);

/* Prints `unravel help NAME` text for `cmd` to `out`. */
void uv_cli_print_help(const uv_command *cmd, FILE *out);

#endif
