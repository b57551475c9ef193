#!/usr/bin/python3
"""Plots of `sinkbench perturb` (docs/perturbation.md, "Reading the plots").

usage: perturb.py PERTURB_JSON OUT_DIR

Writes perturb_drift_map.png, perturb_drift_last.png, perturb_sensitivity.png, perturb_collapse.png,
perturb_sweeps.png and perturb_numerics.png into OUT_DIR, each atomically (temporary file, then rename)
and announced on stdout as "wrote FILE".
Exit status: 0 done, 2 usage error, 3 matplotlib is not available (the caller skips the plots).
Run with Debian's /usr/bin/python3, which sees python3-matplotlib.
"""
import json
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
except ImportError:
    print("perturb.py: matplotlib is not available (apt-get install python3-matplotlib)", file=sys.stderr)
    sys.exit(3)

MODE_STYLE = {
    "none": ("black", "-"),
    "bos": ("tab:blue", "-"),
    "learned": ("tab:orange", "--"),
    "softmax1": ("tab:gray", ":"),
    "gated": ("tab:green", "-."),
    "no_bos": ("tab:red", "--"),
    "linear_limit": ("tab:purple", "-"),
}


def save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    tmp = "%s.tmp.%d.png" % (path, os.getpid())
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    print("wrote %s" % name, flush=True)


def positive(values):
    """Zeros and nulls cannot be drawn on a log axis; show them as gaps."""
    return [v if (v is not None and v > 0) else float("nan") for v in values]


def drift_maps(d, out):
    modes = {m["mode"]: m for m in d["modes"]}
    shown = [m for m in ("none", "bos") if m in modes]
    fig, axes = plt.subplots(1, len(shown), figsize=(6 * len(shown), 4.5), squeeze=False)
    vals = [v for m in shown for row in modes[m]["drift_map"] for v in row if v is not None and v > 0]
    norm = LogNorm(vmin=max(min(vals), max(vals) * 1e-8), vmax=max(vals)) if vals else None
    j = d["config"]["perturbed_token"]
    for ax, m in zip(axes[0], shown):
        grid = [positive(row) for row in modes[m]["drift_map"]]
        im = ax.imshow(grid, aspect="auto", origin="lower", norm=norm, cmap="viridis", interpolation="nearest")
        ax.axvline(j, color="white", lw=0.6, ls=":")
        ax.set_title("%s: ‖h_t − h'_t‖ (token %d changed)" % ("no sink" if m == "none" else "BOS sink", j))
        ax.set_xlabel("token t")
        ax.set_ylabel("layer")
        fig.colorbar(im, ax=ax)
    save(fig, out, "perturb_drift_map.png")


def drift_last(d, out):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in d["modes"]:
        c, ls = MODE_STYLE.get(m["mode"], (None, "-"))
        ax.semilogy(range(len(m["last_token_drift"])), positive(m["last_token_drift"]), color=c, ls=ls,
                    label=m["mode"])
    ax.set_xlabel("layer")
    ax.set_ylabel("last-token drift ‖h_n − h'_n‖")
    ax.set_title("Last-token drift vs depth (mean of %d sequences)" % d["config"]["sequences"])
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    save(fig, out, "perturb_drift_last.png")


def sensitivity(d, out):
    s = d["sensitivity"]
    kinds = ["none", "bos", "linear_limit"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for ax, kind in zip(axes, kinds):
        profiles = [p for p in s["profiles"] if p["mode"] == kind]
        cmap = plt.get_cmap("viridis")
        for k, p in enumerate(profiles):
            ax.semilogy(range(len(p["s"])), positive(p["s"]), marker=".", color=cmap(k / max(1, len(profiles) - 1)),
                        label="L = %d (token 0: %.2f)" % (p["layers"], p["share_first"]))
        ax.set_title({"none": "no sink", "bos": "BOS sink", "linear_limit": "linear limit [(Λ+I)/2]^L"}[kind])
        ax.set_xlabel("input token i")
        ax.set_ylabel("sensitivity of the last token (JVP)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out, "perturb_sensitivity.png")


def collapse(d, out):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.5))
    for m in d["modes"]:
        c, ls = MODE_STYLE.get(m["mode"], (None, "-"))
        a1.plot(range(len(m["rank_collapse_residual"])), m["rank_collapse_residual"], color=c, ls=ls, label=m["mode"])
    a1.set_xlabel("layer")
    a1.set_ylabel("‖V − 1v̄ᵀ‖_F / ‖V‖_F")
    a1.set_title("Rank collapse vs depth")
    a1.legend()
    a1.grid(True, alpha=0.3)
    ctx = d["context"]
    for m in ctx["modes"]:
        c, ls = MODE_STYLE.get(m["mode"], (None, "-"))
        a2.loglog(ctx["tokens"], positive(m["distance_l1"]), color=c, ls=ls, marker="o", label=m["mode"])
    a2.set_xscale("log", base=2)
    a2.set_xlabel("context length n")
    a2.set_ylabel("‖y_n([v,a]) − y_{n+1}([v,a,a])‖₁")
    a2.set_title("Representational collapse after %d layers" % ctx["layers"])
    a2.legend()
    a2.grid(True, which="both", alpha=0.3)
    save(fig, out, "perturb_collapse.png")


def sweeps(d, out):
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(16, 4.5))
    h = d["heads"]
    a1.semilogy(h["heads"], positive(h["none_last_token_drift"]), "o-", color="black", label="none")
    a1.semilogy(h["heads"], positive(h["bos_last_token_drift"]), "o-", color="tab:blue", label="bos")
    a1.set_xscale("log", base=2)
    a1.set_xlabel("heads H (width %d)" % h["width"])
    a1.set_ylabel("last-token drift after %d layers" % h["layers"])
    a1.set_title("Heads")
    a1.legend()
    a1.grid(True, which="both", alpha=0.3)
    g = d["strength"]
    for m in ("bos", "learned", "no_bos", "gated"):
        c, ls = MODE_STYLE[m]
        a2.semilogy(g["gaps"], positive(g[m]), marker="o", color=c, ls=ls, label=m + (" (gate bias)" if m == "gated" else ""))
    a2.set_xlabel("sink strength Δ")
    a2.set_ylabel("last-token drift after %d layers" % d["config"]["layers"])
    a2.set_title("Sink strength")
    a2.legend()
    a2.grid(True, which="both", alpha=0.3)
    lim = d["limit"]
    a3.plot(range(1, len(lim["mass_first"]) + 1), lim["mass_first"], color="tab:purple")
    a3.set_xlabel("layers L")
    a3.set_ylabel("([(Λ+I)/2]^L)_{n,0}")
    a3.set_title("Linear limit, n = %d: weight of token 0" % lim["tokens"])
    a3.set_ylim(0, 1.05)
    a3.grid(True, alpha=0.3)
    save(fig, out, "perturb_sweeps.png")


def numerics(d, out):
    runs = d["numerics"]
    modes = [m for m in ("none", "bos") if any(r["mode"] == m for r in runs)]
    if not modes:
        return
    # One colour per kernel, one line style per precision: solid f32, dashed f64+kernel, dotted the kernel
    # in layer 1 only, dash-dot bf16/f16 storage.
    kernels = sorted({r["kernel"] for r in runs})
    cmap = plt.get_cmap("tab10" if len(kernels) <= 10 else "tab20")
    colour = {k: cmap(i % cmap.N) for i, k in enumerate(kernels)}
    fig, axes = plt.subplots(1, len(modes), figsize=(7 * len(modes), 4.5), squeeze=False, sharey=True)
    for ax, m in zip(axes[0], modes):
        for r in runs:
            if r["mode"] != m:
                continue
            label = "%s %s%s" % (r["kernel"].replace("softmax_", ""), r["precision"],
                                 " (layer 1 only)" if r["injected_layers"] else "")
            if r["injected_layers"]:
                ls = ":"
            elif r["precision"] == "f64+kernel":
                ls = "--"
            elif r["precision"] in ("bf16", "f16"):
                ls = "-." if r["precision"] == "bf16" else (0, (3, 1, 1, 1, 1, 1))
            else:
                ls = "-"
            ax.semilogy(range(len(r["error"])), positive(r["error"]), ls=ls, color=colour[r["kernel"]], label=label)
        ax.set_title("%s: relative error vs binary64" % ("no sink" if m == "none" else "BOS sink"))
        ax.set_xlabel("layer")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("‖H − H_ref‖_F / ‖H_ref‖_F")
    save(fig, out, "perturb_numerics.png")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        d = json.load(f)
    out = argv[2]
    for plot in (drift_maps, drift_last, sensitivity, collapse, sweeps, numerics):
        plot(d, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
