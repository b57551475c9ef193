/* Plugin loading: a plugin's kernels join the registry; bad plugins give clear errors. */
#include <string.h>

#include "sinkbench/sinkbench.h"
#include "testkit.h"

int main(int argc, char **argv)
{
    tk_init("test_plugin", 0);
    if (argc < 3) {
        fprintf(stderr, "usage: test_plugin <plugin.so> <not-a-plugin.so>\n");
        return 2;
    }
    char err[256] = "";
    size_t before = sb_softmax_kernel_count();
    TK_CHECK(sb_plugin_load("/nonexistent/plugin.so", err, sizeof err) == SB_EINVAL, "missing file");
    TK_CHECK(strstr(err, "cannot load plugin") != NULL, "says why: %s", err);
    TK_CHECK(sb_plugin_load(argv[2], err, sizeof err) == SB_EINVAL, "no entry point");
    TK_CHECK(strstr(err, "sinkbench_plugin_register") != NULL, "names the entry point: %s", err);
    TK_CHECK(sb_softmax_kernel_count() == before, "failed loads register nothing");
    TK_CHECK(sb_plugin_load(argv[1], err, sizeof err) == SB_OK, "loads: %s", err);
    const sb_softmax_kernel *k = sb_softmax_kernel_find("plugin_test_delegate");
    TK_CHECK(k && (k->flags & SB_KERNEL_PLUGIN) && sb_softmax_kernel_count() == before + 1, "kernel registered");
    if (k) {
        float x[3] = {1, 2, 3}, y[3];
        TK_CHECK(k->fn(x, y, 3, NULL) == SB_OK && y[2] > y[1], "plugin kernel runs");
    }
    TK_CHECK(sb_plugin_load(argv[1], err, sizeof err) == SB_EINVAL, "loading twice refuses the duplicate name");
    return tk_finish("test_plugin");
}
