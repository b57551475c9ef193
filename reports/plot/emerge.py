#!/usr/bin/python3
"""Plots of `sinkbench emerge` (docs/emerge.md, "Reading the plots").

usage: emerge.py EMERGE_JSON OUT_DIR

One question per figure:
  emerge_sink_over_steps.png  does a sink form during training? (alpha_1 vs step, per variant)
  emerge_context.png          does it grow with the training context length? (needs >= 2 contexts)
  emerge_depth.png            does it grow with depth? (needs a depth sweep)
  emerge_drift.png            how does the last token's drift change when the sink is removed?
  emerge_sensitivity.png      where is the last token's sensitivity, with and without the sink?
  emerge_kernels.png          how far does each kernel's rounding move the trained stack?
Each file is written atomically (temporary file, then rename) and announced on stdout as "wrote FILE".
Exit status: 0 done, 2 usage error, 3 matplotlib is not available (the caller skips the plots).
Run with Debian's /usr/bin/python3, which sees python3-matplotlib.
"""
import json
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("emerge.py: matplotlib is not available (apt-get install python3-matplotlib)", file=sys.stderr)
    sys.exit(3)

VARIANTS = ["none", "bos", "first", "learned", "softmax1", "gate"]
# colour and marker both differ between series, so the plots survive greyscale and colour blindness
STYLE = {
    "none": ("black", "o", "-"),
    "bos": ("tab:blue", "s", "-"),
    "first": ("tab:red", "^", "--"),
    "learned": ("tab:orange", "D", "-."),
    "softmax1": ("tab:gray", "v", ":"),
    "gate": ("tab:green", "P", "--"),
}
SERIES = [("tab:blue", "o"), ("tab:orange", "s"), ("tab:green", "^"), ("tab:red", "D"), ("tab:purple", "v"),
          ("tab:brown", "P"), ("tab:pink", "X"), ("black", "*")]
LABEL = {
    "none": "none (no BOS)",
    "bos": "bos (BOS token)",
    "first": "first (fixed first token)",
    "learned": "learned sink logit",
    "softmax1": "softmax1",
    "gate": "output gate",
}


def save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    tmp = "%s.tmp.%d.png" % (path, os.getpid())
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    print("wrote %s" % name, flush=True)


def legend_outside(ax, **kw):
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, **kw)


def finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def mean(xs):
    xs = [x for x in xs if finite(x)]
    return sum(xs) / len(xs) if xs else float("nan")


def cell(d, data, variant, context, layers):
    for c in d["cells"]:
        if c["data"] == data and c["variant"] == variant and c["context"] == context and c["layers"] == layers:
            return c
    return None


def runs_of(d, **want):
    return [r for r in d["runs"] if all(r.get(k) == v for k, v in want.items())]


def base_context(d):
    ctx = sorted({r["context"] for r in d["runs"] if r["data"] == "bb"})
    return 64 if 64 in ctx else ctx[len(ctx) // 2] if ctx else None


def base_depth(d):
    depths = sorted({r["layers"] for r in d["runs"] if r["data"] == "bb"})
    return depths[0] if depths else None


def sink_over_steps(d, out):
    T, L = base_context(d), base_depth(d)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    drawn = 0
    for v in VARIANTS:
        rs = runs_of(d, data="bb", variant=v, context=T, layers=L)
        if not rs:
            continue
        steps = rs[0]["log"]["step"]
        ys = [mean([r["log"]["first_mass"][i] for r in rs if i < len(r["log"]["first_mass"])]) for i in range(len(steps))]
        lo = [min([r["log"]["first_mass"][i] for r in rs if finite(r["log"]["first_mass"][i])] or [float("nan")])
              for i in range(len(steps))]
        hi = [max([r["log"]["first_mass"][i] for r in rs if finite(r["log"]["first_mass"][i])] or [float("nan")])
              for i in range(len(steps))]
        c, m, ls = STYLE[v]
        ax.plot(steps, ys, color=c, marker=m, ls=ls, markevery=max(1, len(steps) // 8), ms=5,
                label="%s (%d seed%s)" % (LABEL[v], len(rs), "s" if len(rs) > 1 else ""))
        if len(rs) > 1:
            ax.fill_between(steps, lo, hi, color=c, alpha=0.12, lw=0)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return
    ax.axhline(0.3, color="0.4", lw=0.8, ls=":")
    ax.text(0.01, 0.305, "ε = 0.3", transform=ax.get_yaxis_transform(), fontsize=8, color="0.3", va="bottom")
    ax.set_xlabel("training step")
    ax.set_ylabel("α₁: attention on position 0 (mean over heads)")
    ax.set_title("Does a sink form? Bigram-Backcopy, T = %d, %d layer%s (band: min–max over seeds)"
                 % (T, L, "s" if L > 1 else ""), fontsize=10)
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    save(fig, out, "emerge_sink_over_steps.png")


def errbar(ax, xs, cells, metric, c, m, ls, label, scale=1.0):
    pts = [(x, cl[metric]) for x, cl in zip(xs, cells) if cl and finite(cl[metric]["mean"])]
    if not pts:
        return False
    x = [p[0] for p in pts]
    y = [scale * p[1]["mean"] for p in pts]
    lo = [scale * (p[1]["mean"] - p[1]["lo"]) for p in pts]
    hi = [scale * (p[1]["hi"] - p[1]["mean"]) for p in pts]
    ax.errorbar(x, y, yerr=[lo, hi], color=c, marker=m, ls=ls, capsize=3, ms=6, label=label)
    return True


def context_plot(d, out):
    L = base_depth(d)
    ctx = sorted({r["context"] for r in d["runs"] if r["data"] == "bb" and r["layers"] == L})
    if len(ctx) < 2:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for v in VARIANTS:
        cells = [cell(d, "bb", v, T, L) for T in ctx]
        c, m, ls = STYLE[v]
        errbar(ax, ctx, cells, "first_mass", c, m, ls, LABEL[v])
    ax.set_xscale("log", base=2)
    ax.set_xticks(ctx)
    ax.set_xticklabels([str(t) for t in ctx])
    ax.set_xlabel("training context length T (fixed tokens per step)")
    ax.set_ylabel("final α₁ (mean over heads; 95 % interval over seeds)")
    ax.set_title("Does the sink grow with the training context? Bigram-Backcopy, %d layer%s" % (L, "s" if L > 1 else ""),
                 fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    save(fig, out, "emerge_context.png")


def depth_plot(d, out):
    depths = sorted({r["layers"] for r in d["runs"] if r["data"] == "bb"})
    if len(depths) < 2:
        return
    variants = [v for v in VARIANTS if len({r["layers"] for r in runs_of(d, data="bb", variant=v)}) >= 2]
    if not variants:
        return
    ctx = sorted({r["context"] for r in d["runs"] if r["data"] == "bb"})
    fig, axes = plt.subplots(1, len(variants), figsize=(5.2 * len(variants) + 1.5, 4.3), squeeze=False, sharey=True)
    for ax, v in zip(axes[0], variants):
        for i, T in enumerate(ctx):
            cells = [cell(d, "bb", v, T, L) for L in depths]
            c, m = SERIES[i % len(SERIES)]
            errbar(ax, depths, cells, "first_mass", c, m, "-", "T = %d" % T)
        ax.set_xticks(depths)
        ax.set_xlabel("layers (1 head each)")
        ax.set_title(LABEL[v], fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("final α₁ (mean over every head; 95 % interval)")
    axes[0][0].set_ylim(bottom=0)
    legend_outside(axes[0][-1])
    fig.suptitle("Does the sink grow with depth? Bigram-Backcopy", fontsize=11)
    save(fig, out, "emerge_depth.png")


def drift_plot(d, out):
    T = base_context(d)
    depths = sorted({r["layers"] for r in d["runs"] if r["data"] == "bb" and r["context"] == T})
    panels = [depths[0]] + ([depths[-1]] if len(depths) > 1 else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels) + 1.5, 4.5), squeeze=False)
    any_drawn = False
    for ax, L in zip(axes[0], panels):
        vs = [v for v in VARIANTS if cell(d, "bb", v, T, L)]
        for k, (metric, what, colour, hatch) in enumerate([("drift_trained", "sink as trained", "tab:blue", ""),
                                                          ("drift_removed", "sink removed at inference", "tab:orange", "//")]):
            xs, ys, lo, hi = [], [], [], []
            for i, v in enumerate(vs):
                s = cell(d, "bb", v, T, L)[metric]
                if not finite(s["mean"]):
                    continue
                xs.append(i + (k - 0.5) * 0.38)
                ys.append(s["mean"])
                lo.append(max(s["mean"] - s["lo"], 0))
                hi.append(max(s["hi"] - s["mean"], 0))
            if xs:
                ax.bar(xs, ys, width=0.38, color=colour, hatch=hatch, edgecolor="black", lw=0.5, label=what,
                       yerr=[lo, hi], capsize=3)
                any_drawn = True
        ax.set_xticks(range(len(vs)))
        ax.set_xticklabels(vs, rotation=20)
        ax.set_yscale("log")
        ax.set_title("%d layer%s, T = %d" % (L, "s" if L > 1 else "", T), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    if not any_drawn:
        plt.close(fig)
        return
    axes[0][0].set_ylabel("relative drift of the last token, last layer")
    fig.subplots_adjust(wspace=0.35)
    legend_outside(axes[0][-1])
    fig.suptitle("How does the last token's drift after a token swap change when the sink is removed?", fontsize=11)
    save(fig, out, "emerge_drift.png")


def sensitivity_plot(d, out):
    T = base_context(d)
    depth = max([r["layers"] for r in d["runs"] if r["data"] == "bb" and r["context"] == T] or [0])
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    k = 0
    for v in ("bos", "none", "learned"):
        rs = runs_of(d, data="bb", variant=v, context=T, layers=depth, seed_index=0)
        if not rs:
            continue
        p = rs[0]["probe"]
        for which, ls in (("trained", "-"), ("removed", "--")):
            s = p["sensitivity"][which]
            share = p["sensitivity_first_share"][0 if which == "trained" else 1]
            c, m = SERIES[k % len(SERIES)]
            k += 1
            ys = [x if finite(x) and x > 0 else float("nan") for x in s]
            ax.semilogy(range(len(ys)), ys, color=c, marker=m, ls=ls, markevery=max(1, len(ys) // 10), ms=5,
                        label="%s, %s (position 0: %.1f %%)" % (v, "as trained" if which == "trained" else
                                                               "sink removed", 100 * share if finite(share) else float("nan")))
    if not k:
        plt.close(fig)
        return
    ax.set_xlabel("input position i")
    ax.set_ylabel("‖∂(u·h_L[T−1]) / ∂x_i‖, RMS over probes u")
    ax.set_title("Where is the last token's sensitivity? (exact VJP, %d layer%s, T = %d, seed 0)"
                 % (depth, "s" if depth > 1 else "", T), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    legend_outside(ax)
    save(fig, out, "emerge_sensitivity.png")


def kernels_plot(d, out):
    T = base_context(d)
    rs = [r for r in d["runs"] if r["data"] == "bb" and r["variant"] == "bos" and r["context"] == T
          and r["seed_index"] == 0]
    if not rs:
        return
    r = max(rs, key=lambda x: x["layers"])
    ks = r["probe"]["kernels"]
    if not ks:
        return
    dispatch = next((k["kernel"] for k in ks if k["precision"] == "bf16"), None)
    isa = dispatch.rsplit("_", 1)[-1] if dispatch else ""
    prefer = [dispatch, "softmax_reference_f64", "softmax_scalar_f32", "softmax_naive_f32", "softmax_online_" + isa]
    chosen = []
    for name in prefer:
        if name and name not in chosen and any(k["kernel"] == name and k["precision"] == "f64+kernel" for k in ks):
            chosen.append(name)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    n_series = len(chosen) + 3

    def dodge(i):  # series side by side, so that equal errors do not hide each other's markers
        return 0.035 * (i - (n_series - 1) / 2)

    for ax, removed in zip(axes, (False, True)):
        i = 0
        for name in chosen:
            for k in ks:
                if k["kernel"] == name and k["precision"] == "f64+kernel" and k["removed"] == removed:
                    c, m = SERIES[i % len(SERIES)]
                    ys = [x if finite(x) and x > 0 else float("nan") for x in k["error"]]
                    i += 1
                    ax.semilogy([j + dodge(i - 1) for j in range(len(ys))], ys, color=c, marker=m,
                                label="%s (binary64 model)" % name)
        for prec, label in (("f32", "binary32 model"), ("bf16", "bf16 storage"), ("f16", "f16 storage")):
            for k in ks:
                if k["kernel"] == dispatch and k["precision"] == prec and k["removed"] == removed:
                    c, m = SERIES[i % len(SERIES)]
                    ys = [x if finite(x) and x > 0 else float("nan") for x in k["error"]]
                    i += 1
                    ax.semilogy([j + dodge(i - 1) for j in range(len(ys))], ys, color=c, marker=m, ls="--",
                                label="%s, %s" % (dispatch, label))
        ax.set_xlabel("layer (0: embeddings)")
        ax.set_xticks(range(r["layers"] + 1))
        ax.set_title("sink removed at inference" if removed else "sink as trained", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("‖H − H_ref‖_F / ‖H_ref‖_F (binary64 reference)")
    legend_outside(axes[1], fontsize=8)
    fig.suptitle("How far does each kernel's rounding move the trained stack? (%s)" % r["id"], fontsize=11)
    save(fig, out, "emerge_kernels.png")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        d = json.load(f)
    out = sys.argv[2]
    if not d.get("runs"):
        print("emerge.py: no finished runs in %s" % sys.argv[1], file=sys.stderr)
        return 0
    for fn in (sink_over_steps, context_plot, depth_plot, drift_plot, sensitivity_plot, kernels_plot):
        fn(d, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
