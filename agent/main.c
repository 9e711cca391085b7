/* thindesk-agent: serve this desktop to SPICE clients. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/capture-choice.h"
#include "agent/ctl.h"
#include "agent/log.h"
#include "agent/options.h"
#include "agent/system/dm-hook.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "ctl") == 0)
        return ctl_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "dm-hook") == 0)
        return dm_hook_main(argc - 1, argv + 1);
    struct agent_options opts;
    char *error = NULL;
    switch (options_load(&opts, argc, argv, NULL, stdout, &error)) {
    case OPTIONS_OK:
        break;
    case OPTIONS_EXIT_OK:
        options_finish(&opts);
        return 0;
    case OPTIONS_USAGE:
        fprintf(stderr, "thindesk-agent: %s\n", error);
        free(error);
        options_finish(&opts);
        return 2;
    case OPTIONS_CONFIG:
        fprintf(stderr, "thindesk-agent: %s\n", error);
        free(error);
        options_finish(&opts);
        return 1;
    }
    log_init(opts.log_level);
    /* Frames are allocated on the main loop and freed by spice-server's
     * worker, many megabytes a second. Keep them on the heap instead of fresh
     * mmap()s, whose pages fault in on every frame. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);

    if (!capture_choice_resolve(&opts)) {
        options_finish(&opts);
        return 1;
    }
    struct agent *agent = agent_create(&opts);
    if (!agent) {
        options_finish(&opts);
        return 1;
    }
    int code = agent_run(agent);
    agent_destroy(agent);
    options_finish(&opts);
    return code;
}
