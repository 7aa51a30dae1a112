/* Placeholder replaced by the real command in this change series. */
#include "cli/cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; uv_cli_error("sourcemap: not built yet"); return UV_EXIT_USAGE; }
const uv_command uv_command_sourcemap = {"sourcemap", "(not built yet)", "unravel sourcemap: not built yet\n", run};
