/* Placeholder replaced by the real command in this change series. */
#include "cli/cli.h"
static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uv_cli_error("addr2line: not built yet");
    return UV_EXIT_USAGE;
}
const uv_command uv_command_addr2line = {"addr2line", "(not built yet)",
                                         "unravel addr2line: not built yet\n", run};
