#!/usr/bin/python3
"""Plots of the stability study (sinkbench stability): reads stability.json, writes stability-*.png.

usage: /usr/bin/python3 stability.py STABILITY_JSON OUT_DIR

Each PNG is written atomically (temporary file, then rename) and announced on stdout as "wrote FILE".
Exit status: 0 done, 2 usage or unreadable input, 3 matplotlib is not available (Debian:
apt-get install python3-matplotlib). Metric definitions: docs/stability.md.
"""
import json
import math
import os
import sys

PRECISIONS = ["f32", "f16_in", "bf16_in", "f16_out", "bf16_out"]
COLORS = {"f32": "black", "f16_in": "tab:blue", "bf16_in": "tab:orange", "f16_out": "tab:green", "bf16_out": "tab:red"}
TAILS = ["equal", "gaussian", "heavy", "near_sink", "uniform"]


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


def save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print("wrote %s" % name, flush=True)


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


def theory_lines(ax, data, formats):
    styles = {"tail_subnormal": ":", "tail_zero": "--"}
    for t in data["study"]["theory"]:
        if t["format"] not in formats:
            continue
        for ev, ls in styles.items():
            g = num(t[ev])
            if math.isfinite(g):
                ax.axvline(g, color="grey", linestyle=ls, linewidth=0.8)
                ax.annotate("%s %s %.2f" % (t["format"], ev.replace("tail_", ""), g), (g, 1.0),
                            xycoords=("data", "axes fraction"), rotation=90, fontsize=6, va="top", ha="right",
                            color="grey")


def plot_error_vs_gap(plt, data, cells, out_dir):
    kernels = [k["name"] for k in data["kernels"]]
    f32 = [c for c in cells if c["precision"] == "f32"]
    panels = []
    thr = [c for c in f32 if c["block"] == "thresholds" and c["spec"]["place"] == "first"]
    if thr:
        n0 = min(c["spec"]["n"] for c in thr)
        panels.append(("equal tail, n = %d, sink first" % n0, select(thr, n=n0)))
    for tail in TAILS[1:]:
        sel = [c for c in f32 if c["block"] == "tails" and c["spec"]["tail"] == tail and c["spec"]["place"] == "first"]
        if sel:
            panels.append(("%s tail, n = %d, sink first" % (tail, sel[0]["spec"]["n"]), sel))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), sharey=True, squeeze=False)
    for ax, (title, sel) in zip(axes[0], panels):
        for name in kernels:
            rows = by_gap([c for c in sel if c["kernel"] == name])
            if not rows:
                continue
            xs = [c["spec"]["gap"] for c in rows]
            ys = [num(c["metrics"]["max_ulp"]) for c in rows]
            ys = [1e9 if math.isinf(y) else y for y in ys]
            ax.plot(xs, ys, marker=".", markersize=3, linewidth=1, label=name)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("sink gap Δ")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("max ulp error (binary32; 1e9 = NaN/inf)")
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.suptitle("Error of every output entry vs sink gap (f32 in and out)")
    save(fig, out_dir, "stability-error-vs-gap.png")
    plt.close(fig)


def plot_flushed_vs_gap(plt, data, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "tails" and c["spec"]["tail"] == "gaussian"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    n = sel[0]["spec"]["n"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for prec in PRECISIONS:
        rows = by_gap([c for c in sel if c["precision"] == prec])
        xs = [c["spec"]["gap"] for c in rows]
        zero = [c["metrics"]["tail_zero"] / max(1, c["metrics"]["tail_count"]) for c in rows]
        sub = [c["metrics"]["tail_subnormal"] / max(1, c["metrics"]["tail_count"]) for c in rows]
        axes[0].plot(xs, zero, marker=".", markersize=3, color=COLORS[prec], label=prec)
        axes[1].plot(xs, sub, marker=".", markersize=3, color=COLORS[prec], label=prec)
    for ax, what in zip(axes, ("stored as 0", "stored subnormal")):
        theory_lines(ax, data, ("f32", "f16", "bf16"))
        ax.set_xlabel("sink gap Δ")
        ax.set_title("fraction of tail entries %s" % what, fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("%s, Gaussian tail (σ = 4), n = %d, sink first: tails lost per precision" % (focus, n))
    save(fig, out_dir, "stability-flushed-vs-gap.png")
    plt.close(fig)


def plot_residual_vs_n(plt, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "lengths" and c["spec"]["tail"] == "equal"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    gaps = sorted({c["spec"]["gap"] for c in sel})
    show = [g for g in gaps if g in (10, 20, 30, 50, 90, 100, 110)] or gaps[:6]
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(2, len(PRECISIONS), figsize=(3.3 * len(PRECISIONS), 6), sharex=True, sharey=True)
    for j, prec in enumerate(PRECISIONS):
        for i, g in enumerate(show):
            rows = sorted([c for c in sel if c["precision"] == prec and c["spec"]["gap"] == g],
                          key=lambda c: c["spec"]["n"])
            xs = [c["spec"]["n"] for c in rows]
            color = cmap(i / max(1, len(show) - 1))
            axes[0][j].plot(xs, [positive(c["metrics"]["resid_tail_rel_err"], 1e-18) for c in rows], marker=".",
                            color=color, label="Δ = %g" % g)
            axes[1][j].plot(xs, [positive(c["metrics"]["resid_1m_rel_err"], 1e-18) for c in rows], marker=".",
                            color=color, label="Δ = %g" % g)
        axes[0][j].set_title(prec, fontsize=9)
        axes[1][j].set_xlabel("row length n")
        for ax in (axes[0][j], axes[1][j]):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("rel. error of R\nfrom the tail entries")
    axes[1][0].set_ylabel("rel. error of R\nas 1 − p_sink")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("%s, equal tails, sink first: tail mass R (exact 0 drawn at 1e-18)" % focus)
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


def plot_attention(plt, cells, focus, out_dir):
    sel = [c for c in cells if c["kernel"] == focus and c["block"] == "lengths" and c["spec"]["tail"] == "gaussian"
           and c["spec"]["place"] == "first"]
    if not sel:
        return
    ns = sorted({c["spec"]["n"] for c in sel})
    n = max([x for x in ns if x <= 4096] or ns)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for prec in PRECISIONS:
        rows = by_gap([c for c in sel if c["precision"] == prec and c["spec"]["n"] == n])
        xs = [c["spec"]["gap"] for c in rows]
        axes[0].plot(xs, [positive(c["metrics"]["attn_tail_err"], 1e-18) for c in rows], marker=".",
                     color=COLORS[prec], label=prec)
        axes[1].plot(xs, [positive(c["metrics"]["attn_sink_err"], 1e-18) for c in rows], marker=".",
                     color=COLORS[prec], label=prec)
    titles = ("error of the tail's part of Σ y_i v_i", "error of the sink's part")
    for ax, title in zip(axes, titles):
        ax.set_yscale("log")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("sink gap Δ")
        ax.set_title(title + "\n(in units of the tail's contribution Σ_tail y_j |v_j|)", fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("%s, n = %d Gaussian tail, sink first, v ~ N(0, 1): what survives of the tail" % (focus, n), y=1.04)
    save(fig, out_dir, "stability-attention-vs-gap.png")
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print("stability.py: matplotlib is not available (%s); Debian: apt-get install python3-matplotlib" % e,
              file=sys.stderr)
        return 3
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
    plot_attention(plt, cells, focus, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
