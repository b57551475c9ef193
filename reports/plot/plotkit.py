"""Pieces every sinkbench plot script shares (stability.py, perturb.py, emerge.py): matplotlib or exit 3,
the eight series styles, markers that stay visible on coinciding curves, legends outside the axes and
atomic PNG writes. Imported from the scripts' own folder (installed beside them)."""
import math
import os
import sys


def pyplot(script):
    """matplotlib.pyplot on the Agg backend; without matplotlib the script exits 3 (the caller skips plots)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("%s: matplotlib is not available (apt-get install python3-matplotlib)" % script, file=sys.stderr)
        sys.exit(3)
    return plt


# Eight distinguishable styles: colour, marker and line style all change from one series to the next.
STYLES = [
    ("#000000", "o", "-"),
    ("#1f77b4", "s", "--"),
    ("#d62728", "^", "-."),
    ("#2ca02c", "D", ":"),
    ("#9467bd", "v", "-"),
    ("#ff7f0e", "P", "--"),
    ("#8c564b", "X", "-."),
    ("#17becf", "*", ":"),
]


def style(i):
    return STYLES[i % len(STYLES)]


def staggered(k, n, marks=8):
    """Markers of series k at every step-th point, offset per series, so that curves lying on top of each
    other still show every series' marker."""
    step = max(1, n // marks)
    return (k % step, step) if step > 1 else 1


def legend_outside(ax, fontsize=8, **kw):
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=fontsize, **kw)


def finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def save(fig, out_dir, name):
    """Writes OUT_DIR/NAME atomically (a temporary file, then rename), closes the figure, says "wrote NAME"."""
    import matplotlib.pyplot as plt

    path = os.path.join(out_dir, name)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    print("wrote %s" % name, flush=True)
