#!/usr/bin/python3
"""Plots of `sinkbench perturb` (docs/perturbation.md, "Reading the plots").

usage: perturb.py PERTURB_JSON OUT_DIR

One question per figure; at most 8 series per panel, each with its own colour and marker or line style;
legends outside the axes; bands and error bars are 95 % intervals over the weight seeds. Writes
perturb_drift.png, perturb_drift_map.png, perturb_sensitivity.png, perturb_context.png,
perturb_participation.png, perturb_heads.png, perturb_offset.png, perturb_precision.png,
perturb_precision_snr.png, perturb_collapse.png, perturb_strength.png and perturb_numerics.png into
OUT_DIR, each atomically (temporary file, then rename) and announced on stdout as "wrote FILE".
Exit status: 0 done, 2 usage error, 3 matplotlib is not available (the caller skips the plots).
Run with Debian's /usr/bin/python3, which sees python3-matplotlib.
"""
import json
import math
import sys

import plotkit
from plotkit import STYLES, finite, legend_outside, save, staggered, style

plt = plotkit.pyplot("perturb.py")
from matplotlib.colors import LogNorm  # noqa: E402 (after the backend is chosen)

MODE_STYLE = {m: STYLES[i] for i, m in enumerate(["none", "bos", "learned", "softmax1", "gated", "no_bos"])}
MODE_LABEL = {
    "none": "no sink",
    "bos": "BOS sink",
    "learned": "learned sink logit",
    "softmax1": "softmax₁",
    "gated": "gated (query-dependent)",
    "no_bos": "no-BOS template",
}
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def interval(values, log=False):
    """Mean and 95 % t-interval of per-seed values (geometric on a log scale); NaNs when nothing is left."""
    xs = [v for v in values if finite(v) and (v > 0 or not log)]
    if log:
        xs = [math.log(v) for v in xs]
    if not xs:
        return (math.nan, math.nan, math.nan)
    m = sum(xs) / len(xs)
    if len(xs) > 1:
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
        t = T975[len(xs) - 2] if len(xs) - 1 <= len(T975) else 1.96
        h = t * sd / math.sqrt(len(xs))
    else:
        h = 0.0
    if log:
        return (math.exp(m), math.exp(m - h), math.exp(m + h))
    return (m, m - h, m + h)


def rows_interval(rows, log=False):
    """rows: one list of per-seed values per x; returns three lists (mean, lo, hi)."""
    out = [interval(r, log) for r in rows]
    return [o[0] for o in out], [o[1] for o in out], [o[2] for o in out]


def seeds_note(d):
    c = d["config"]
    return "%d weight seeds × %d sequences" % (c["seeds"], c["sequences"])


def drift(d, out):
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for k, m in enumerate(d["modes"]):
        c, mk, ls = MODE_STYLE.get(m["mode"], STYLES[0])
        mean, lo, hi = rows_interval(m["drift_rel"], log=True)
        xs = list(range(len(mean)))
        ax.plot(xs, mean, color=c, marker=mk, ls=ls, markevery=staggered(k, len(xs)), label=MODE_LABEL[m["mode"]])
        ax.fill_between(xs, lo, hi, color=c, alpha=0.12, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("relative last-token drift ‖h − h′‖ / ‖h‖")
    ax.set_title("How far does one swapped token move the last token? (%s; bands: 95 %%)" % seeds_note(d), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_drift.png")


def drift_maps(d, out):
    modes = {m["mode"]: m for m in d["modes"]}
    shown = [m for m in ("none", "bos") if m in modes]
    fig, axes = plt.subplots(1, len(shown), figsize=(6.2 * len(shown), 4.4), squeeze=False)
    vals = [v for m in shown for row in modes[m]["drift_map"] for v in row if finite(v) and v > 0]
    norm = LogNorm(vmin=max(min(vals), max(vals) * 1e-8), vmax=max(vals)) if vals else None
    j = d["config"]["perturbed_token"]
    im = None
    for ax, m in zip(axes[0], shown):
        grid = [[v if finite(v) and v > 0 else math.nan for v in row] for row in modes[m]["drift_map"]]
        im = ax.imshow(grid, aspect="auto", origin="lower", norm=norm, cmap="viridis", interpolation="nearest")
        ax.axvline(j, color="white", lw=0.8, ls=":")
        ax.set_title(MODE_LABEL[m], fontsize=10)
        ax.set_xlabel("token t")
        ax.set_ylabel("layer")
    if im is not None:
        fig.colorbar(im, ax=list(axes[0]), label="relative drift ‖h_t − h′_t‖ / ‖h_t‖")
    fig.suptitle("Where does the change go? Token %d swapped (dotted); weight seed %d, one sequence; white: no change "
                 "(tokens before it, by causality)" % (j, d["config"]["weight_seeds"][0]), fontsize=10)
    save(fig, out, "perturb_drift_map.png")


def sensitivity(d, out):
    s = d["sensitivity"]
    kinds = [k for k in ("none", "bos") if any(p["mode"] == k for p in s["profiles"])]
    fig, axes = plt.subplots(1, len(kinds), figsize=(6.0 * len(kinds), 4.4), squeeze=False, sharey=True)
    for ax, kind in zip(axes[0], kinds):
        profiles = [p for p in s["profiles"] if p["mode"] == kind][:8]
        for k, p in enumerate(profiles):
            c, mk, ls = style(k)
            share = interval(p["share_first"])[0]
            ax.plot(range(len(p["s"])), [v if v > 0 else math.nan for v in p["s"]], color=c, marker=mk, ls=ls,
                    markersize=4, label="L = %d (token 0: %.2f)" % (p["layers"], share))
        ax.set_yscale("log")
        ax.set_title(MODE_LABEL[kind], fontsize=10)
        ax.set_xlabel("input token i")
        ax.grid(True, which="both", alpha=0.3)
        legend_outside(ax, title="depth")
    axes[0][0].set_ylabel("S_i = ‖∂h_{n−1}/∂x_i‖_F / √d (mean over seeds)")
    fig.suptitle("Which input tokens does the last token depend on, as depth grows? (reverse mode)", fontsize=11)
    fig.tight_layout()
    save(fig, out, "perturb_sensitivity.png")


def context(d, out):
    c = d["context"]
    ns = c["tokens"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    series = [("gap_leak", "content mass held at %g %%" % (100 * c["leak_level"])),
              ("gap_drift", "one token's relative drift held at %g %%" % (100 * c["drift_level"]))]
    for i, (key, label) in enumerate(series):
        col, mk, ls = style(i + 1)
        mean, lo, hi = rows_interval(c[key])
        pts = [(n, m, l, h) for n, m, l, h in zip(ns, mean, lo, hi) if finite(m)]
        if not pts:
            continue
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                    yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]], color=col, marker=mk, ls=ls,
                    capsize=3, label="Δ*: " + label)
    mean, _, _ = rows_interval(c["gap_leak"])
    pts = [(n, m) for n, m in zip(ns, mean) if finite(m)]
    if pts:
        cst = sum(m - math.log(n) for n, m in pts) / len(pts)
        ax.plot(ns, [math.log(n) + cst for n in ns], color="grey", ls=(0, (1, 1)), label="ln n + %.2f (slope 1)" % cst)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("context length n")
    ax.set_ylabel("sink gap Δ* (BOS key bias)")
    ax.set_title("How strong must the sink be as n grows? (L = %d; %s; 95 %% bars)" % (c["setup"]["layers"],
                                                                                        seeds_note(d)), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_context.png")


def participation(d, out):
    c = d["context"]
    ns = c["tokens"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for i, (key, label) in enumerate([("participation_none", "no sink"), ("participation_bos", "BOS sink")]):
        col, mk, ls = style(i)
        mean, lo, hi = rows_interval(c[key])
        pts = [(n, m, l, h) for n, m, l, h in zip(ns, mean, lo, hi) if finite(m)]
        if pts:
            ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                        yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]], color=col, marker=mk, ls=ls,
                        capsize=3, label=label)
    col, mk, ls = style(2)
    ax.plot(ns, c["participation_linear"], color=col, marker=mk, ls=ls, label="linear model [(U+I)/2]^L, uniform U")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context length n")
    ax.set_ylabel("participation ratio (Σ S_i)² / Σ S_i²")
    ax.set_title("How many source tokens does the last token listen to? (L = %d; 95 %% bars)" % c["setup"]["layers"],
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_participation.png")


def heads(d, out):
    h = d["heads"]
    H = h["heads"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    series = [("sensitivity_none", "measured sensitivity, no sink"), ("sensitivity_bos", "measured sensitivity, BOS sink"),
              ("path_sum_none", "bound's path sum, no sink"), ("path_sum_bos", "bound's path sum, BOS sink")]
    for i, (key, label) in enumerate(series):
        col, mk, ls = style(i)
        rows = h[key]
        # Growth relative to H = 1, per seed, then the interval.
        grow = [[v / b if finite(v) and finite(b) and b > 0 else math.nan for v, b in zip(row, rows[0])] for row in rows]
        mean, lo, hi = rows_interval(grow, log=True)
        ax.errorbar(H, mean, yerr=[[m - l for m, l in zip(mean, lo)], [u - m for m, u in zip(mean, hi)]], color=col,
                    marker=mk, ls=ls, capsize=3, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("heads H (head width %d, model width 8H)" % h["head_width"])
    ax.set_ylabel("growth relative to H = 1")
    ax.set_title("Do more heads mix more? Measured vs the bound (L = %d; 95 %% bars)" % h["setup"]["layers"],
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_heads.png")


def offset(d, out):
    o = d["offsets"]
    bs = o["offsets"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for i, mode in enumerate(["softmax1", "learned"]):
        col, mk, ls = style(i + 1)
        ratio = [[a / b if finite(a) and finite(b) and b > 0 else math.nan for a, b in zip(ra, rb)]
                 for ra, rb in zip(o["none_drift_rel"], o[mode + "_drift_rel"])]
        mean, lo, hi = rows_interval(ratio, log=True)
        ax.errorbar(bs, mean, yerr=[[m - l for m, l in zip(mean, lo)], [u - m for m, u in zip(mean, hi)]], color=col,
                    marker=mk, ls=ls, capsize=3, label="measured: no sink / %s" % MODE_LABEL[mode])
        mass, _, _ = rows_interval(o[mode + "_content_mass"])
        ax.plot(bs, [1 / m if finite(m) and m > 0 else math.nan for m in mass], color=col, ls=(0, (1, 1)), marker=None,
                label="first order 1/m (content mass), %s" % MODE_LABEL[mode])
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("content-logit offset b (content logits move by b against the sink logit 0)")
    ax.set_ylabel("drift without a sink / with it")
    ax.set_title("Where does softmax₁ start to help? (L = %d; 95 %% bars)" % o["setup"]["layers"], fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_offset.png")


def precision(d, out):
    p = d["precision"]
    ns = p["tokens"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    f64 = p["formats"][0]
    mean, lo, hi = rows_interval(f64["distance"], log=True)
    col, mk, ls = style(0)
    ax.errorbar(ns, mean, yerr=[[m - l for m, l in zip(mean, lo)], [u - m for m, u in zip(mean, hi)]], color=col,
                marker=mk, ls=ls, capsize=3, label="f64 distance ‖y_n([v,a]) − y_{n+1}([v,a,a])‖")
    for i, f in enumerate(p["formats"][1:]):
        col, mk, ls = style(i + 1)
        mean, lo, hi = rows_interval(f["difference_error"], log=True)
        ax.errorbar(ns, mean, yerr=[[m - l for m, l in zip(mean, lo)], [u - m for m, u in zip(mean, hi)]], color=col,
                    marker=mk, ls=ls, capsize=3, label="%s: error of its difference vector" % f["format"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context length n")
    ax.set_ylabel("distance, or the format's error of it")
    ax.set_title("When does rounding swamp what mixing leaves of the difference? (no sink, L = %d; 95 %% bars)"
                 % p["setup"]["layers"], fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_precision.png")


def precision_snr(d, out):
    s = d["precision"]["signal_to_rounding"]
    gaps = s["gaps"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for i, f in enumerate(["f32", "bf16", "f16"]):
        col, mk, ls = style(i + 1)
        mean, lo, hi = rows_interval(s["loss_" + f], log=True)
        ax.errorbar(gaps, mean, yerr=[[m - l for m, l in zip(mean, lo)], [u - m for m, u in zip(mean, hi)]], color=col,
                    marker=mk, ls=ls, capsize=3, label=f)
    ax.axhline(1.0, color="grey", ls="--", lw=0.8, label="100 % of the response lost")
    ax.set_yscale("log")
    ax.set_xlabel("sink gap Δ (BOS key bias)")
    ax.set_ylabel("‖r_F − r‖ / ‖r‖ (r: last token's response)")
    ax.set_title("Which sink gap leaves a format nothing to resolve? (BOS stack, L = %d, n = %d; 95 %% bars)"
                 % (s["setup"]["layers"], s["setup"]["tokens"]), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_precision_snr.png")


def collapse(d, out):
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for k, m in enumerate(d["modes"]):
        col, mk, ls = MODE_STYLE.get(m["mode"], STYLES[0])
        mean, lo, hi = rows_interval(m["rank_collapse_residual"])
        xs = list(range(len(mean)))
        ax.plot(xs, mean, color=col, marker=mk, ls=ls, markevery=staggered(k, len(xs)), label=MODE_LABEL[m["mode"]])
        ax.fill_between(xs, lo, hi, color=col, alpha=0.12, lw=0)
    ax.set_xlabel("layer")
    ax.set_ylabel("‖V − 1v̄ᵀ‖_F / ‖V‖_F")
    ax.set_title("Do the tokens' representations merge with depth? (%s; bands: 95 %%)" % seeds_note(d), fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_collapse.png")


def strength(d, out):
    g = d["strength"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for i, m in enumerate(["bos", "learned", "no_bos", "gated"]):
        col, mk, ls = MODE_STYLE[m]
        mean, lo, hi = rows_interval(g[m], log=True)
        ax.errorbar(g["gaps"], mean, yerr=[[a - b for a, b in zip(mean, lo)], [b - a for a, b in zip(mean, hi)]],
                    color=col, marker=mk, ls=ls, capsize=3,
                    label=MODE_LABEL[m] + (" (gate bias)" if m == "gated" else ""))
    ax.set_yscale("log")
    ax.set_xlabel("sink strength Δ (gap, or gate bias)")
    ax.set_ylabel("relative last-token drift after %d layers" % g["setup"]["layers"])
    ax.set_title("Sanity check: does a stronger imposed sink cut drift more? (95 % bars)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "perturb_strength.png")


GROUP_ORDER = ["reference", "scalar", "sse2", "avx2", "avx512", "neon", "peer"]
GROUP_TITLE = {"reference": "references", "scalar": "ours: scalar", "sse2": "ours: SSE2", "avx2": "ours: AVX2",
               "avx512": "ours: AVX-512", "neon": "ours: NEON", "peer": "peers"}


def numerics(d, out):
    runs = d["numerics"]
    modes = [m for m in ("none", "bos") if any(r["mode"] == m for r in runs)]
    if not modes:
        return

    def group(r):
        return "peer" if r["group"] == "peer" else "reference" if r["group"] == "reference" else r["isa"]

    # Each kernel's own rounding: binary64 stacks whose softmax is the kernel (in an all-binary32 stack the
    # rest of the arithmetic hides the kernel: every curve would be the same).
    per_kernel = [r for r in runs if r["precision"] == "f64+kernel" and r["injected_layers"] == 0]
    groups = [g for g in GROUP_ORDER if any(group(r) == g for r in per_kernel)]
    cols = groups + ["storage"]
    fig, axes = plt.subplots(len(modes), len(cols), figsize=(3.0 * len(cols), 3.0 * len(modes) + 1.6),
                             squeeze=False, sharey=True, sharex=True)
    for row, mode in enumerate(modes):
        for col, g in enumerate(cols):
            ax = axes[row][col]
            if g == "storage":
                # The dispatch kernel's storage precisions, and its rounding in layer 1 alone.
                dk = sorted({r["kernel"] for r in runs if r["precision"] in ("bf16", "f16")})
                kernel = dk[0] if dk else None
                sel = [r for r in runs if r["mode"] == mode and r["kernel"] == kernel and
                       (r["precision"] in ("f32", "bf16", "f16") and r["injected_layers"] == 0 or
                        r["precision"] == "f64+kernel")]
                labels = ["%s%s" % (r["precision"], ", layer 1 only" if r["injected_layers"] else "") for r in sel]
                title = "storage (%s)" % (kernel or "-")
            else:
                sel = [r for r in per_kernel if r["mode"] == mode and group(r) == g]
                labels = [r["kernel"].replace("softmax_", "").replace("peer_", "").replace("_emulated", "") +
                          (" (emulated)" if r["emulated"] else "") for r in sel]
                title = GROUP_TITLE[g]
            for i, (r, lab) in enumerate(list(zip(sel, labels))[:8]):
                c, mk, ls = style(i)
                err = [v if finite(v) and v > 0 else math.nan for v in r["error"]]
                ax.plot(range(len(err)), err, color=c, marker=mk, ls=ls, markevery=staggered(i, len(err), 6),
                        markersize=4, label=lab)
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            if row == 0:
                ax.set_title(title, fontsize=9)
            if row == len(modes) - 1:
                ax.set_xlabel("layer")
                # Each column's legend below its bottom panel, outside the axes.
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=7, ncol=1, frameon=False)
            if col == 0:
                ax.set_ylabel("%s: ‖H − H_ref‖_F / ‖H_ref‖_F" % MODE_LABEL[mode], fontsize=8)
    fig.suptitle("How does each kernel's rounding travel through depth? Binary64 stacks with the kernel's softmax "
                 "(its own rounding); last column: the dispatch kernel with binary32/16-bit storage (weight seed %d, "
                 "one sequence)" % d["config"]["weight_seeds"][0], fontsize=10)
    save(fig, out, "perturb_numerics.png")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        d = json.load(f)
    out = argv[2]
    for fn in (drift, drift_maps, sensitivity, context, participation, heads, offset, precision, precision_snr,
               collapse, strength, numerics):
        fn(d, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
