/* Placeholder replaced by the real command in this change series. */
#include "cli/cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; uv_cli_error("symbolicate: not built yet"); return UV_EXIT_USAGE; }
const uv_command uv_command_symbolicate = {"symbolicate", "(not built yet)", "unravel symbolicate: not built yet\n", run};
