/* Plugin loading: a plugin's kernels join the registry; bad plugins give clear errors. */
#include <stdio.h>
#include <string.h>

#include "sinkbench/sinkbench.h"
#include "testkit.h"

/* What sb_plugin_load_list reported, in order: "path=status" per plugin tried, ' '-separated. */
typedef struct tried {
    char log[2048];
    size_t calls;
} tried;

static void note_tried(void *ctx, const char *path, sb_status status, const char *reason)
{
    tried *t = ctx;
    const char *base = strrchr(path, '/');
    size_t len = strlen(t->log);
    snprintf(t->log + len, sizeof t->log - len, "%s%s=%s", len ? " " : "", base ? base + 1 : path,
             status == SB_OK ? "ok" : "failed");
    SB_TEST_CHECK((status == SB_OK) == (reason[0] == 0), "a reason with every failure, none with a success: %s", reason);
    t->calls++;
}

/* The ':'-separated lists (SINKBENCH_PLUGINS, the peers): order, flags, the first failure reported.
 * loaded: a plugin already loaded (loading it again fails); none: a library without the entry point;
 * fresh: a plugin not loaded yet. */
static void test_lists(const char *loaded, const char *none, const char *fresh)
{
    char err[512], list[4096];
    tried t = {"", 0};
    SB_TEST_CHECK(sb_plugin_load_list(NULL, 0, note_tried, &t, err, sizeof err) == SB_OK && t.calls == 0, "NULL list");
    SB_TEST_CHECK(sb_plugin_load_list("::", 0, note_tried, &t, err, sizeof err) == SB_OK && t.calls == 0,
             "empty entries are ignored");
    snprintf(list, sizeof list, "/nonexistent/a.so:%s", none);
    err[0] = 0;
    SB_TEST_CHECK(sb_plugin_load_list(list, 0, note_tried, &t, err, sizeof err) == SB_EINVAL, "a missing file fails");
    SB_TEST_CHECK(t.calls == 1 && strstr(err, "cannot load plugin") && strstr(err, "/nonexistent/a.so"),
             "stops at the first failure and names it: %s (%s)", err, t.log);
    t = (tried){"", 0};
    SB_TEST_CHECK(sb_plugin_load_list(list, SB_PLUGIN_SKIP_MISSING, note_tried, &t, err, sizeof err) == SB_EINVAL,
             "SKIP_MISSING: the library without an entry point still fails");
    SB_TEST_CHECK(t.calls == 1 && strstr(err, "sinkbench_plugin_register"), "the missing file was passed over: %s (%s)",
             err, t.log);
    /* keep going past two failures to the plugin that loads; the first failure is the one returned */
    size_t before = sb_softmax_kernel_count() + sb_attention_kernel_count();
    snprintf(list, sizeof list, "/nonexistent/a.so:%s::%s:%s", none, loaded, fresh);
    t = (tried){"", 0};
    err[0] = 0;
    SB_TEST_CHECK(sb_plugin_load_list(list, SB_PLUGIN_SKIP_MISSING | SB_PLUGIN_KEEP_GOING, note_tried, &t, err,
                                 sizeof err) == SB_EINVAL,
             "KEEP_GOING returns the first failure");
    SB_TEST_CHECK(t.calls == 3 && strstr(err, "sinkbench_plugin_register"), "every plugin tried, in order: %s (%s)", t.log,
             err);
    const char *bl = strrchr(loaded, '/'), *bf = strrchr(fresh, '/');
    char want[1024];
    snprintf(want, sizeof want, "=failed %s=failed %s=ok", bl ? bl + 1 : loaded, bf ? bf + 1 : fresh);
    SB_TEST_CHECK(strstr(t.log, want) != NULL, "order and outcome: %s, want ...%s", t.log, want);
    SB_TEST_CHECK(sb_softmax_kernel_count() + sb_attention_kernel_count() > before, "the last plugin's kernels joined");
}

int main(int argc, char **argv)
{
    sb_test_init("test_plugin", 0);
    if (argc < 3) {
        fprintf(stderr, "usage: test_plugin <plugin.so> <not-a-plugin.so> [<another plugin.so>]\n");
        return 2;
    }
    char err[256] = "";
    size_t before = sb_softmax_kernel_count();
    SB_TEST_CHECK(sb_plugin_load("/nonexistent/plugin.so", err, sizeof err) == SB_EINVAL, "missing file");
    SB_TEST_CHECK(strstr(err, "cannot load plugin") != NULL, "says why: %s", err);
    SB_TEST_CHECK(sb_plugin_load(argv[2], err, sizeof err) == SB_EINVAL, "no entry point");
    SB_TEST_CHECK(strstr(err, "sinkbench_plugin_register") != NULL, "names the entry point: %s", err);
    SB_TEST_CHECK(sb_softmax_kernel_count() == before, "failed loads register nothing");
    SB_TEST_CHECK(sb_plugin_load(argv[1], err, sizeof err) == SB_OK, "loads: %s", err);
    const sb_softmax_kernel *k = sb_softmax_kernel_find("plugin_test_delegate");
    SB_TEST_CHECK(k && (k->flags & SB_KERNEL_PLUGIN) && sb_softmax_kernel_count() == before + 1, "kernel registered");
    if (k) {
        float x[3] = {1, 2, 3}, y[3];
        SB_TEST_CHECK(k->fn(x, y, 3, NULL) == SB_OK && y[2] > y[1], "plugin kernel runs");
    }
    SB_TEST_CHECK(sb_plugin_load(argv[1], err, sizeof err) == SB_EINVAL, "loading twice refuses the duplicate name");
    if (argc > 3)
        test_lists(argv[1], argv[2], argv[3]);
    return sb_test_finish("test_plugin");
}
