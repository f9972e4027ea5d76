#!/usr/bin/env python3
"""plot_report.py - render W/analyze/report.json as PNGs and an HTML page (matplotlib, Agg).

Usage: scripts/plot_report.py W/analyze   (or W: its analyze/ folder is used)

Writes next to the report:
  cluster_sizes.png   histogram of the clean cluster sizes, and the clusters by size with the
                      variants that landed in each
  distance.png        distance-to-centroid distributions: clean vs each corruption type
  recall.png          recall vs prune ratio (weighted mean over the types), one panel per
                      family: the plain metrics, the gate plans (gate+X in X's colour, dotted,
                      hollow markers); then per type for the recommendation; legends outside
  eval.png            with `sciprune eval add` results (W/report.json "eval"): pass@1 per
                      variant per benchmark with bootstrap 95 % intervals, each variant's
                      corruption recall under its bar, the verdict in the title
  types.png           recall per corruption type at the report's ratio for distance, combined
                      at alpha 0.2 (or the nearest alpha), gate+distance, random (and the
                      recommendation when it is another one)
  index.html          the plots with the report's tables, including the quality gates (recall
                      per type, clean files flagged per language, how many of them generated)
Needs numpy and matplotlib (Debian: python3-numpy, python3-matplotlib).
"""
import html
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def load(d):
    rep = json.load(open(os.path.join(d, "report.json")))
    arr = {}
    for side in ("clean", "variants"):
        for k in ("cluster", "dist"):
            arr[f"{side}.{k}"] = np.load(os.path.join(d, f"{side}.{k}.npy"))
    meta = [json.loads(line) for line in open(os.path.join(d, "variants.jsonl"))]
    return rep, arr, meta


def type_groups(rep):
    return [g for g in rep["groups"] if g["lang"] == "all"]


def plot_sizes(d, rep, arr):
    sizes = np.array(rep["cluster_sizes"])
    k = len(sizes)
    landed = np.bincount(arr["variants.cluster"], minlength=k)
    order = np.argsort(sizes, kind="stable")
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    ax[0].hist(sizes, bins=min(40, max(5, k // 2)), color="#4c72b0")
    ax[0].set_xlabel("cluster size (clean records)")
    ax[0].set_ylabel("clusters")
    ax[0].set_title(f"cluster sizes, k = {k}")
    x = np.arange(k)
    ax[1].bar(x, sizes[order], color="#bbbbbb", label="clean records")
    ax[1].bar(x, landed[order], color="#c44e52", label="corrupted variants landing")
    ax[1].set_xlabel("clusters, smallest first")
    ax[1].set_ylabel("records")
    ax[1].set_yscale("symlog")
    ax[1].legend()
    ax[1].set_title("where the variants land")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "cluster_sizes.png"), dpi=100)
    plt.close(fig)


def plot_distance(d, rep, arr, meta):
    types = [g["type"] for g in type_groups(rep)]
    cd = arr["clean.dist"].astype(float)
    vd = arr["variants.dist"].astype(float)
    vt = np.array([m["type"] for m in meta])
    n = len(types)
    cols = min(4, max(1, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    hi = max(float(np.max(cd)) if len(cd) else 1.0, float(np.max(vd)) if len(vd) else 1.0)
    bins = np.linspace(0, hi if hi > 0 else 1.0, 40)
    for i, t in enumerate(types):
        ax = axes[i // cols][i % cols]
        ax.hist(cd, bins=bins, density=True, color="#cccccc", label="clean")
        ax.hist(vd[vt == t], bins=bins, density=True, histtype="step", lw=2, color="#c44e52",
                label="corrupted")
        ax.set_title(t, fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("distance to centroid: clean vs corrupted (density)")
    fig.tight_layout()
    fig.savefig(os.path.join(d, "distance.png"), dpi=100)
    plt.close(fig)


def weighted_means(rep):
    groups = type_groups(rep)
    w = rep["recommendation"]["weights"]
    ws = sum(w[g["type"]] for g in groups) or 1.0
    nr = len(rep["settings"]["ratios"])
    return {m: [sum(w[g["type"]] * g["recall"][m][i] for g in groups) / ws for i in range(nr)]
            for m in rep["metrics"] + rep.get("plans", [])}


def combined_name(rep, alpha=0.2):
    """The combined metric with the alpha nearest to `alpha`, or None."""
    alphas = rep["settings"]["alphas"]
    if not alphas:
        return None
    a = min(alphas, key=lambda x: (abs(x - alpha), x))
    return "combined-a%.2f" % a


def shown_plans(rep):
    """The plans worth a line: gate+distance, gate+<combined near 0.2>, the recommended one."""
    plans = rep.get("plans", [])
    want = ["gate+distance"]
    c = combined_name(rep)
    if c:
        want.append("gate+" + c)
    want.append(rep["recommendation"]["name"])
    out = []
    for m in want:
        if m in plans and m not in out:
            out.append(m)
    return out


SERIES_MARKERS = "osD^vP*Xh<>p"


def series_styles(rep):
    """One colour and marker per plain metric, distinct within a panel; a gate plan gate+X
    takes X's colour with a dotted line and a hollow marker, so a metric and its plan match."""
    ms = rep["metrics"]
    cmap = plt.get_cmap("tab10" if len(ms) <= 10 else "tab20")
    st = {}
    for i, m in enumerate(ms):
        st[m] = dict(color=cmap(i % cmap.N), marker=SERIES_MARKERS[i % len(SERIES_MARKERS)])
    return st


def plot_recall(d, rep):
    """recall.png: one panel per family (plain metrics, gate plans), then per type for the
    recommendation; legends outside the data (right of each panel)."""
    ratios = rep["settings"]["ratios"]
    order = np.argsort(ratios)
    r = np.array(ratios)[order]
    means = weighted_means(rep)
    styles = series_styles(rep)
    best = rep["recommendation"]["name"]
    plans = rep.get("plans", [])
    panels = [("plain metrics", rep["metrics"])]
    if plans:
        panels.append(("gate plans (gates first, then the metric)", plans))
    nrow = len(panels) + 1
    fig, axes = plt.subplots(nrow, 1, figsize=(11, 4.2 * nrow), squeeze=False)
    for (title, shown), ax in zip(panels, axes[:, 0]):
        for m in shown:
            base = m[5:] if m.startswith("gate+") else m
            stl = styles.get(base, dict(color="black", marker="o"))
            v = np.array(means[m])[order]
            ls = "--" if base in ("random", "length") else ":" if m.startswith("gate+") else "-"
            ax.plot(r, 100 * v, ls, color=stl["color"], marker=stl["marker"], ms=7,
                    mfc="none" if m.startswith("gate+") else stl["color"],
                    lw=3.2 if m == best else 1.6,
                    label=m + ("  (recommended)" if m == best else "") +
                    ("  (baseline)" if base in ("random", "length") else ""))
        ax.plot([0, max(r)], [0, 100 * max(r)], color="black", lw=0.8, alpha=0.5, label="y = p")
        ax.set_xlabel("prune ratio p")
        ax.set_ylabel("recall of corrupted variants (%)")
        ax.set_title(f"mean recall over the types: {title}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax = axes[-1, 0]
    groups = type_groups(rep)
    cmap = plt.get_cmap("tab20")
    for i, g in enumerate(groups):
        v = np.array(g["recall"][best])[order]
        ax.plot(r, 100 * v, "-" if g["kind"] == "syntax" else "--", color=cmap(i % 20),
                marker=SERIES_MARKERS[i % len(SERIES_MARKERS)], label=f"{g['type']} ({g['kind']})")
    ax.plot([0, max(r)], [0, 100 * max(r)], color="black", lw=0.8, alpha=0.5, label="y = p")
    ax.set_xlabel("prune ratio p")
    ax.set_ylabel("recall (%)")
    ax.set_title(f"per type, recommended: {best}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
              ncol=1 if len(groups) <= 16 else 2)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "recall.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


def load_eval(d):
    """The workdir's report.json "eval" (sciprune eval add), or None."""
    p = os.path.join(os.path.dirname(os.path.abspath(d)), "report.json")
    if not os.path.isfile(p):
        return None
    ev = json.load(open(p)).get("eval")
    return ev if ev and ev.get("benchmarks") else None


def plot_eval(d, ev):
    """eval.png: pass@1 per variant, one panel per benchmark, bootstrap 95 % intervals as
    error bars; each bar says the variant's corruption recall; the verdict under the title."""
    import textwrap
    bs = ev["benchmarks"]
    vs = [v for v in ev["variants"] if v["results"]]
    fig, axes = plt.subplots(1, len(bs), figsize=(max(6, 1.3 * len(vs) + 2) * len(bs), 5.2),
                             squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, b in zip(axes[0], bs):
        x, y, lo, hi, lab, col = [], [], [], [], [], []
        for i, v in enumerate(vs):
            e = v["results"].get(b)
            if not e:
                continue
            x.append(len(x))
            y.append(e["pass@1"])
            lo.append(e["pass@1"] - e.get("lo", e["pass@1"]))
            hi.append(e.get("hi", e["pass@1"]) - e["pass@1"])
            rc = v.get("recall")
            lab.append(v["name"] + ("\nrecall " + (f"{rc:.3f}" if rc is not None else "-")))
            col.append(cmap(i % 10))
        ax.bar(x, y, color=col, yerr=[lo, hi], capsize=6, ecolor="black")
        for xi, yi in zip(x, y):
            ax.text(xi, yi / 2, f"{yi:.3f}", ha="center", va="center", color="white",
                    fontsize=9, fontweight="bold")
        ax.set_xticks(x)
        ax.set_xticklabels(lab, fontsize=8)
        ax.set_ylim(0, min(1.0, max(yy + h for yy, h in zip(y, hi)) * 1.25 + 0.02))
        ax.set_ylabel("pass@1 (bootstrap 95 % interval)")
        verdict = ev.get("verdict", {}).get(b, "")
        ax.set_title(b + "\n" + "\n".join(textwrap.wrap(verdict, 70)), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "eval.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


def eval_html(ev):
    if not ev:
        return ""
    bs = ev["benchmarks"]
    rows = []
    for v in ev["variants"]:
        if not v["results"]:
            continue
        cells = []
        for b in bs:
            e = v["results"].get(b)
            cells.append("–" if not e else f"{e['pass@1']:.3f}" +
                         (f" [{e['lo']:.3f}, {e['hi']:.3f}]" if "lo" in e else ""))
        rc = v.get("recall")
        rows.append([v["name"], "–" if rc is None else f"{rc:.3f}"] + cells)
    verd = "".join(f"<li>{html.escape(t)}</li>" for t in ev.get("verdict", {}).values())
    return (f"<h2>Evaluation results (pass@1)</h2>{table(['variant', 'corruption recall'] + bs, rows)}"
            f"<ul>{verd}</ul><img src=\"eval.png\">")


def type_bar_metrics(rep):
    want = ["distance", combined_name(rep), "gate+distance", "random"]
    best = rep["recommendation"]["name"]
    if best not in want:
        want.insert(3, best)
    have = set(rep["metrics"] + rep.get("plans", []))
    return [m for m in want if m and m in have]


def plot_types(d, rep):
    """Grouped horizontal bars: recall per type at the report's ratio."""
    ratios = rep["settings"]["ratios"]
    ip = ratios.index(rep["settings"]["ratio"])
    groups = type_groups(rep)
    ms = type_bar_metrics(rep)
    colors = {"distance": "#4c72b0", "gate+distance": "#c44e52", "random": "#999999"}
    palette = ["#dd8452", "#55a868", "#8172b3", "#937860"]
    n, k = len(groups), len(ms)
    fig, ax = plt.subplots(figsize=(10, 0.11 * n * max(1, k) + 2.2))
    h = 0.8 / max(1, k)
    y = np.arange(n)
    for j, m in enumerate(ms):
        vals = [100 * (g["recall"][m][ip] or 0.0) for g in groups]
        c = colors.get(m) or palette[j % len(palette)]
        ax.barh(y - 0.4 + h * (j + 0.5), vals, height=h, color=c, label=m)
    gates = [g.get("gates") for g in groups]
    if all(x is not None for x in gates):
        ax.scatter([100 * x["gates"] for x in gates], y, marker="|", s=300, color="black",
                   zorder=3, label="flagged by a gate")
    for yy in y[1:]:
        ax.axhline(yy - 0.5, color="#dddddd", lw=0.8)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{g['type']} ({g['kind']}, n={g['n']})" for g in groups], fontsize=8)
    ax.set_xlim(0, 101.5)
    ax.set_xlabel(f"recall of the corrupted variants at p = {rep['settings']['ratio']:.2f} (%)")
    ax.axvline(100 * rep["settings"]["ratio"], color="black", lw=0.8, ls=":")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("recall per corruption type")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.6 / (0.11 * n * max(1, k) + 2.2)),
              ncol=k + 1, frameon=False)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "types.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


def gates_html(rep):
    gt = rep.get("gates")
    if not gt:
        note = rep.get("gates_missing", "not evaluated")
        return f"<h2>Quality gates</h2><p>Not evaluated: {html.escape(str(note))}.</p>"
    ip = rep["settings"]["ratios"].index(rep["settings"]["ratio"])
    names = ("parse_error", "undefined_name", "gates")

    def clean_row(lang, c):
        row = [lang, c["n"], pct(c["generated_share"])]
        for q in names:
            row += [c[q]["flagged"], pct(c[q]["share"]), pct(c[q]["generated_share_of_flagged"])]
        return row

    crow = [clean_row("all", gt["clean"])] + [clean_row(lang, c) for lang, c in gt["clean_by_lang"].items()]
    hdr = ["lang", "files", "generated %"]
    for q in ("parse_error", "undefined_name", "either"):
        hdr += [q, "flagged %", "of them generated %"]
    plans = rep.get("plans", [])
    show = [p for p in ("gate+distance", "gate+" + (combined_name(rep) or ""), "gate+random",
                        rep["recommendation"]["name"]) if p in plans]
    show = list(dict.fromkeys(show))
    rows = [[g["type"], g["kind"], g["lang"], g["n"]] + [pct(g["gates"][q]) for q in names]
            + [pct(g["recall"][m][ip]) for m in show] for g in rep["groups"]]
    langs = ", ".join(f"{k}: {', '.join(v) or 'none'}" for k, v in gt["languages_on"].items())
    exceed = [f"{b['ratio']:.2f}" for b in gt["budget"] if b["gates_exceed_budget"]]
    return f"""<h2>Quality gates</h2>
<p>Clean side {'read from W/gates' if gt['source'] == 'W/gates' else 'computed by analyze'}
{html.escape(gt.get('source_note') or '')}. Gates on for {html.escape(langs)}
({html.escape(gt['languages_source'])}). {gt['clean']['gates']['flagged']} clean files
({pct(gt['clean']['gates']['share'])} %) are flagged;
{'the gated files exceed the budget at p = ' + ', '.join(exceed) if exceed else 'they fit the budget at every ratio'}.</p>
<h3>Clean files flagged, per language</h3>
{table(hdr, crow)}
<p>Generated: {html.escape(gt['generated_heuristic'])}.</p>
<h3>Recall of the gates and of gate plans at p = {rep['settings']['ratio']:.2f} (%)</h3>
{table(['type', 'kind', 'lang', 'n', 'parse_error', 'undefined_name', 'either'] + show, rows)}
"""


def table(headers, rows):
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def pct(x):
    return "–" if x is None else f"{100 * x:.1f}"


def write_html(d, rep, ev=None):
    ratios = rep["settings"]["ratios"]
    ip = ratios.index(rep["settings"]["ratio"])
    rec = rep["recommendation"]
    metrics = rep["metrics"]
    rows = [[g["type"], g["kind"], g["lang"], g["n"]] + [pct(g["recall"][m][ip]) for m in metrics]
            for g in rep["groups"]]
    cands = metrics + rep.get("plans", [])
    means = weighted_means(rep)
    rows.append(["weighted mean", "", "", ""] + [pct(means[m][ip]) for m in metrics])
    om = rec.get("candidates_orig_recall", {})
    if om:
        rows.append(["their originals (weighted mean)", "", "", ""] + [pct(om.get(m)) for m in metrics])
    lift_html = ""
    if rec.get("rule"):
        lift_html = (f"<p>Lift (recall minus its originals' recall): "
                     f"{100 * (rec.get('mean_lift') or 0):+.1f} points. Rule: {html.escape(rec['rule'])}.</p>")
    au = [[g["type"], g["lang"]] + [f"{g['auroc'][m]:.3f}" for m in ("size", "distance", "random", "length")]
          for g in type_groups(rep)]
    mv = [[g["type"], g["n_orig"], pct(g["movement"]["share_smaller_cluster"]),
           pct(g["movement"]["share_same_cluster"]),
           f"{g['movement']['median_delta_size_pct']:+.1f}" if g["movement"]["median_delta_size_pct"] is not None else "–",
           f"{g['movement']['median_delta_dist_pct']:+.1f}" if g["movement"]["median_delta_dist_pct"] is not None else "–"]
          for g in type_groups(rep)]
    sweep = [[m] + [pct(x) for x in means[m]] for m in cands]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>sciprune analyze</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:first-child{{text-align:left}}
img{{max-width:100%}}</style></head><body>
<h1>sciprune analyze</h1>
<p>{rep['n_clean']} clean records in {rep['k']} clusters (embedder {html.escape(rep['embedder'])}),
{rep['n_variants']} corrupted variants ({rep['n_orig_found']} with their original).</p>
<p><b>Recommendation</b> at p = {rec['ratio']:.2f}: <code>{html.escape(rec['name'])}</code>,
weighted mean recall {pct(rec['mean_recall'])} % (random {pct(rec['random_mean_recall'])} %).
{html.escape(rec.get('text', ''))}.</p>
{lift_html}
<p>{html.escape(rep['semantics'])}</p>
<h2>Recall at p = {rec['ratio']:.2f} (%)</h2>
{table(['type', 'kind', 'lang', 'n'] + metrics, rows)}
<h2>Recall per type</h2><img src="types.png">
{gates_html(rep)}
<h2>Recall vs prune ratio</h2><img src="recall.png">
{table(['metric'] + [f'p={p:.2f}' for p in ratios], sweep)}
<h2>AUROC (corrupted vs clean)</h2>
{table(['type', 'lang', 'size', 'distance', 'random', 'length'], au)}
<h2>Movement against the originals</h2>
{table(['type', 'n with original', 'smaller cluster %', 'same cluster %', 'median Δ size pct', 'median Δ dist pct'], mv)}
{eval_html(ev)}
<h2>Distances</h2><img src="distance.png">
<h2>Cluster sizes</h2><img src="cluster_sizes.png">
</body></html>
"""
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write(page)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    # a workdir has its own report.json (sciprune run): prefer its analyze/ folder
    if os.path.isfile(os.path.join(d, "analyze", "report.json")):
        d = os.path.join(d, "analyze")
    rep, arr, meta = load(d)
    plot_sizes(d, rep, arr)
    plot_distance(d, rep, arr, meta)
    plot_recall(d, rep)
    plot_types(d, rep)
    ev = load_eval(d)
    if ev:
        plot_eval(d, ev)
    write_html(d, rep, ev)
    print(f"plot_report: wrote cluster_sizes.png, distance.png, recall.png, types.png, "
          f"{'eval.png, ' if ev else ''}index.html in {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
