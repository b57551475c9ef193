#!/usr/bin/python3
"""Plots of the stability study (sinkbench stability): reads stability.json, writes stability-*.png.

usage: /usr/bin/python3 stability.py STABILITY_JSON OUT_DIR

Each PNG is written atomically (temporary file, then rename) and announced on stdout as "wrote FILE".
Exit status: 0 done, 2 usage or unreadable input, 3 matplotlib is not available (Debian:
apt-get install python3-matplotlib). Metric definitions: docs/stability.md.
"""
import functools
import json
import math
import sys

import plotkit
from plotkit import STYLES, save, style

PRECISIONS = ["f32", "f16_in", "bf16_in", "f16_out", "bf16_out"]
TAILS = ["equal", "gaussian", "heavy", "near_sink", "uniform"]
PREC_STYLE = {p: STYLES[i] for i, p in enumerate(PRECISIONS)}
GROUP_ORDER = ["reference", "scalar", "sse2", "avx2", "avx512", "neon", "peer", "plugin"]
GROUP_TITLE = {"reference": "references", "scalar": "ours: scalar", "sse2": "ours: SSE2", "avx2": "ours: AVX2",
               "avx512": "ours: AVX-512", "neon": "ours: NEON", "peer": "peers", "plugin": "plugins"}


# stability's panels are small multiples: denser markers, smaller legends
staggered = functools.partial(plotkit.staggered, marks=10)
legend_outside = functools.partial(plotkit.legend_outside, fontsize=7)


def kernel_group(k):
    if k.get("peer"):
        return "peer"
    if k.get("plugin"):
        return "plugin"
    if k["algorithm"] in ("reference", "textbook", "naive"):
        return "reference"
    return k["isa"]


def num(v):
    """JSON null or "inf" to float."""
    if v is None:
        return math.nan
    if isinstance(v, str):
        return math.inf if v == "inf" else -math.inf if v == "-inf" else math.nan
    return float(v)


def positive(v, floor):
    """For log axes: 0 is drawn at floor, NaN stays NaN."""
    v = num(v)
    return floor if v == 0 else v


def select(cells, **want):
    out = []
    for c in cells:
        ok = True
        for k, v in want.items():
            if k in ("n", "gap", "tail", "place"):
                if c["spec"][k] != v:
                    ok = False
                    break
            elif c[k] != v:
                ok = False
                break
        if ok:
            out.append(c)
    return out


def by_gap(cells):
    return sorted(cells, key=lambda c: c["spec"]["gap"])


THEORY_STYLE = {("f16", "tail_subnormal"): ("#2ca02c", (0, (1, 2))), ("f16", "tail_zero"): ("#2ca02c", (0, (5, 2))),
                ("f32", "tail_subnormal"): ("#555555", (0, (1, 2))), ("f32", "tail_zero"): ("#555555", (0, (5, 2))),
                ("bf16", "tail_subnormal"): ("#d62728", (0, (1, 2))), ("bf16", "tail_zero"): ("#d62728", (0, (5, 2)))}


def theory_lines(ax, data, formats):
    """The short-tail thresholds as vertical lines, named in the legend (labels at the lines overlap)."""
    for t in data["study"]["theory"]:
        if t["format"] not in formats:
            continue
        for ev in ("tail_subnormal", "tail_zero"):
            g = num(t[ev])
            if math.isfinite(g):
                col, ls = THEORY_STYLE.get((t["format"], ev), ("grey", ":"))
                ax.axvline(g, color=col, linestyle=ls, linewidth=0.9, alpha=0.8,
                           label="theory: %s %s at Δ = %.2f" % (t["format"], ev.replace("tail_", ""), g))


def plot_error_vs_gap(plt, data, cells, out_dir):
    """Small multiples: one row per kernel group (references, ours by ISA, peers), one column per tail."""
    kernels = data["kernels"]
    f32 = [c for c in cells if c["precision"] == "f32"]
    columns = []
    thr = [c for c in f32 if c["block"] == "thresholds" and c["spec"]["place"] == "first"]
    if thr:
        n0 = min(c["spec"]["n"] for c in thr)
        columns.append(("equal tail, n = %d" % n0, select(thr, n=n0)))
    for tail in TAILS[1:]:
        sel = [c for c in f32 if c["block"] == "tails" and c["spec"]["tail"] == tail and c["spec"]["place"] == "first"]
        if sel:
            columns.append(("%s tail, n = %d" % (tail, sel[0]["spec"]["n"]), sel))
    groups = [g for g in GROUP_ORDER if any(kernel_group(k) == g for k in kernels)]
    if not columns or not groups:
        return
    fig, axes = plt.subplots(len(groups), len(columns), figsize=(3.3 * len(columns) + 2.6, 2.3 * len(groups) + 0.8),
                             sharex=True, sharey=True, squeeze=False)
    for row, g in enumerate(groups):
        names = [k["name"] for k in kernels if kernel_group(k) == g][:8]
        for col, (title, sel) in enumerate(columns):
            ax = axes[row][col]
            for i, name in enumerate(names):
                rows = by_gap([c for c in sel if c["kernel"] == name])
                if not rows:
                    continue
                xs = [c["spec"]["gap"] for c in rows]
                ys = [num(c["metrics"]["max_ulp"]) for c in rows]
                ys = [1e9 if math.isinf(y) else y for y in ys]
                c_, mk, ls = style(i)
                ax.plot(xs, ys, color=c_, marker=mk, ls=ls, markersize=3, linewidth=1,
                        markevery=staggered(i, len(xs)), label=name.replace("softmax_", ""))
            ax.set_yscale("symlog", linthresh=1)
            ax.grid(True, alpha=0.3)
            if row == 0:
                ax.set_title(title, fontsize=9)
            if row == len(groups) - 1:
                ax.set_xlabel("sink gap Δ")
            if col == 0:
                ax.set_ylabel(GROUP_TITLE[g], fontsize=9)
        legend_outside(axes[row][-1])
    fig.suptitle("Where does each kernel's error grow with the sink gap? Max ulp error of any entry (binary32 in and "
                 "out, sink first; symlog, 1e9 = NaN/inf)", fontsize=10)
    fig.tight_layout()
    save(fig, out_dir, "stability-error-vs-gap.png")
    plt.close(fig)


def plot_flushed_vs_gap(plt, data, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "tails" and c["spec"]["tail"] == "gaussian"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    n = sel[0]["spec"]["n"]
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.2), sharey=True)
    for k, prec in enumerate(PRECISIONS):
        rows = by_gap([c for c in sel if c["precision"] == prec])
        xs = [c["spec"]["gap"] for c in rows]
        zero = [c["metrics"]["tail_zero"] / max(1, c["metrics"]["tail_count"]) for c in rows]
        sub = [c["metrics"]["tail_subnormal"] / max(1, c["metrics"]["tail_count"]) for c in rows]
        col, mk, ls = PREC_STYLE[prec]
        # f32, f16_in and bf16_in coincide (rounding the logits hardly moves the flush): thicker lines
        # underneath and staggered markers keep each one visible.
        lw = 3.2 - 0.5 * k
        for ax, ys in ((axes[0], zero), (axes[1], sub)):
            ax.plot(xs, ys, color=col, marker=mk, ls=ls, linewidth=lw, markersize=5, markevery=staggered(k, len(xs)),
                    label=prec, zorder=2 + k)
    for ax, what in zip(axes, ("stored as 0", "stored subnormal")):
        theory_lines(ax, data, ("f32", "f16", "bf16"))
        ax.set_xlabel("sink gap Δ")
        ax.set_title("fraction of tail entries %s" % what, fontsize=9)
        ax.grid(True, alpha=0.3)
    legend_outside(axes[1])
    fig.suptitle("%s, Gaussian tail (σ = 4), n = %d, sink first: how much of the tail does each precision lose?"
                 % (focus, n), fontsize=10)
    save(fig, out_dir, "stability-flushed-vs-gap.png")
    plt.close(fig)


def plot_residual_vs_n(plt, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "lengths" and c["spec"]["tail"] == "equal"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    gaps = sorted({c["spec"]["gap"] for c in sel})
    show = [g for g in gaps if g in (10, 20, 30, 50, 90, 100, 110)] or gaps[:6]
    show = show[:8]
    fig, axes = plt.subplots(2, len(PRECISIONS), figsize=(3.3 * len(PRECISIONS), 6), sharex=True, sharey=True)
    for j, prec in enumerate(PRECISIONS):
        for i, g in enumerate(show):
            rows = sorted([c for c in sel if c["precision"] == prec and c["spec"]["gap"] == g],
                          key=lambda c: c["spec"]["n"])
            xs = [c["spec"]["n"] for c in rows]
            color, mk, ls = style(i)
            axes[0][j].plot(xs, [positive(c["metrics"]["resid_tail_rel_err"], 1e-18) for c in rows], marker=mk,
                            ls=ls, markersize=4, color=color, label="Δ = %g" % g)
            axes[1][j].plot(xs, [positive(c["metrics"]["resid_1m_rel_err"], 1e-18) for c in rows], marker=mk,
                            ls=ls, markersize=4, color=color, label="Δ = %g" % g)
        axes[0][j].set_title(prec, fontsize=9)
        axes[1][j].set_xlabel("row length n")
        for ax in (axes[0][j], axes[1][j]):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("rel. error of R\nfrom the tail entries")
    axes[1][0].set_ylabel("rel. error of R\nas 1 − p_sink")
    legend_outside(axes[0][-1], title="sink gap")
    fig.suptitle("%s, equal tails, sink first: is the tail mass R still there? Measured from the tail entries (top) "
                 "and as 1 − p_sink (bottom); exact 0 drawn at 1e-18" % focus, fontsize=10)
    save(fig, out_dir, "stability-residual-vs-n.png")
    plt.close(fig)


def plot_heatmap(plt, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "lengths" and c["spec"]["tail"] == "gaussian"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    gaps = sorted({c["spec"]["gap"] for c in sel})
    ns = sorted({c["spec"]["n"] for c in sel})
    gi = {g: i for i, g in enumerate(gaps)}
    ni = {n: i for i, n in enumerate(ns)}
    fig, axes = plt.subplots(2, len(PRECISIONS), figsize=(3.4 * len(PRECISIONS), 6.2), sharex=True, sharey=True)
    images = [None, None]
    for j, prec in enumerate(PRECISIONS):
        err = [[math.nan] * len(gaps) for _ in ns]
        flushed = [[math.nan] * len(gaps) for _ in ns]
        for c in sel:
            if c["precision"] != prec:
                continue
            m = c["metrics"]
            e = num(m["resid_tail_rel_err"])
            err[ni[c["spec"]["n"]]][gi[c["spec"]["gap"]]] = math.log10(max(e, 1e-18)) if math.isfinite(e) else math.nan
            flushed[ni[c["spec"]["n"]]][gi[c["spec"]["gap"]]] = m["tail_zero"] / max(1, m["tail_count"])
        half = (gaps[1] - gaps[0]) / 2 if len(gaps) > 1 else 0.5
        extent = (gaps[0] - half, gaps[-1] + half, -0.5, len(ns) - 0.5)
        images[0] = axes[0][j].imshow(err, aspect="auto", origin="lower", extent=extent, vmin=-10, vmax=0,
                                      cmap="magma", interpolation="nearest")
        images[1] = axes[1][j].imshow(flushed, aspect="auto", origin="lower", extent=extent, vmin=0, vmax=1,
                                      cmap="viridis", interpolation="nearest")
        axes[0][j].set_title(prec, fontsize=9)
        axes[1][j].set_xlabel("sink gap Δ")
    for ax in axes[:, 0]:
        ax.set_yticks(range(len(ns)))
        ax.set_yticklabels([str(n) for n in ns], fontsize=7)
        ax.set_ylabel("row length n")
    fig.colorbar(images[0], ax=list(axes[0]), label="log10 rel. error of tail mass")
    fig.colorbar(images[1], ax=list(axes[1]), label="fraction of tail stored as 0")
    fig.suptitle("%s, Gaussian tail (σ = 4), sink first: gap × length" % focus)
    save(fig, out_dir, "stability-heatmap.png")
    plt.close(fig)


def plot_attention(plt, data, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "lengths" and c["spec"]["tail"] == "gaussian"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    ns = sorted({c["spec"]["n"] for c in sel})
    n = max([x for x in ns if x <= 4096] or ns)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for k, prec in enumerate(PRECISIONS):
        rows = by_gap([c for c in sel if c["precision"] == prec and c["spec"]["n"] == n])
        xs = [c["spec"]["gap"] for c in rows]
        col, mk, ls = PREC_STYLE[prec]
        lw = 3.2 - 0.5 * k
        axes[0].plot(xs, [positive(c["metrics"]["attn_tail_err"], 1e-18) for c in rows], marker=mk, ls=ls,
                     linewidth=lw, markevery=staggered(k, len(xs)), color=col, label=prec, zorder=2 + k)
        axes[1].plot(xs, [positive(c["metrics"]["attn_sink_err"], 1e-18) for c in rows], marker=mk, ls=ls,
                     linewidth=lw, markevery=staggered(k, len(xs)), color=col, label=prec, zorder=2 + k)
    titles = ("error of the tail's part of Σ y_i v_i", "error of the sink's part")
    for ax, title in zip(axes, titles):
        ax.set_yscale("log")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("sink gap Δ")
        ax.set_title(title + "\n(in units of the tail's contribution Σ_tail y_j |v_j|)", fontsize=9)
        ax.grid(True, alpha=0.3)
    legend_outside(axes[1])
    kappa = data["study"].get("value_scale", 1.0)
    fig.suptitle("%s, n = %d Gaussian tail, sink first; values N(0, 1), the sink's κ·N(0, 1) with κ = %g: what "
                 "survives of the tail?" % (focus, n, kappa), y=1.04, fontsize=10)
    save(fig, out_dir, "stability-attention-vs-gap.png")
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    plt = plotkit.pyplot("stability.py")
    try:
        with open(argv[1]) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print("stability.py: cannot read %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    cells = data["cells"]
    focus = data["study"]["focus_kernel"]
    out_dir = argv[2]
    plot_error_vs_gap(plt, data, cells, out_dir)
    plot_flushed_vs_gap(plt, data, cells, focus, out_dir)
    plot_residual_vs_n(plt, cells, focus, out_dir)
    plot_heatmap(plt, cells, focus, out_dir)
    plot_attention(plt, data, cells, focus, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
