#!/usr/bin/env python3
"""analyze_check.py - recompute W/analyze/report.json from the raw arrays, independently (numpy).

Usage: analyze_check.py W/analyze [--type T] [--all]

Reads clean.{cluster,dist,length,random}.npy, variants.*.npy and variants.jsonl (the per-record
numbers the C side used) and recomputes, for one corruption type (all languages; the first type
by default, --all for every group): recall at every ratio for size, distance, combined at every
alpha, random and length, AUROC of the four scores, and the movement medians. Semantics as in
include/sciprune.h (section analyze): U = clean + the type's variants, clean cluster sizes,
ties by (clean row, then variant row), p prunes floor(p*|U|+0.5). With the quality gates
({clean,variants}.{parse_error,undefined_name}.npy, > 0 = flagged) also each gate's recall
(share of the variants flagged) and every gate plan gate+<metric> (every flagged record of U
first, then the rest of the budget by the metric among the unflagged ones), and the clean
corpus' gate and generated-file counts. Exits 1 on a mismatch.
"""
import json
import math
import sys

import numpy as np


def load(d):
    c = {k: np.load(f"{d}/clean.{k}.npy") for k in ("cluster", "dist", "length", "random")}
    v = {k: np.load(f"{d}/variants.{k}.npy") for k in ("cluster", "dist", "length", "random", "orig")}
    c["random"] = c["random"].view("<u8")
    v["random"] = v["random"].view("<u8")
    meta = [json.loads(line) for line in open(f"{d}/variants.jsonl")]
    try:
        for side, arrs in (("clean", c), ("variants", v)):
            for gname in ("parse_error", "undefined_name"):
                arrs[gname] = np.load(f"{d}/{side}.{gname}.npy") > 0
        c["generated"] = np.load(f"{d}/clean.generated.npy").astype(bool)
    except FileNotFoundError:
        pass  # gates not evaluated
    rep = json.load(open(f"{d}/report.json"))
    return c, v, meta, rep


def orders(cl, dist, length, rnd, rank, nc):
    """Pruning order (array of union indices) per metric; ties by union index g."""
    g = np.arange(len(cl))
    d = dist.astype(np.float64)
    d[d == 0] = 0.0
    return {
        # lexsort: last key is primary
        "size": np.lexsort((g, -d, rank[cl])),
        "distance": np.lexsort((g, -d)),
        "random": np.lexsort((g, rnd)),
        "length": np.lexsort((g, -np.minimum(length, 2**32 - 1))),
    }


def budget(p, n):
    return min(n, int(math.floor(p * n + 0.5)))


def auroc(clean_s, var_s):
    # Mann-Whitney with ties 1/2: P(var > clean) + P(tie)/2
    cs = np.sort(clean_s)
    below = np.searchsorted(cs, var_s, side="left")
    upto = np.searchsorted(cs, var_s, side="right")
    return float(np.sum(below + 0.5 * (upto - below)) / (len(var_s) * len(cs)))


def check_group(c, v, meta, rep, grp, errors):
    k = rep["k"]
    nc = len(c["cluster"])
    sizes = np.bincount(c["cluster"], minlength=k).astype(np.int64)
    assert sizes.tolist() == rep["cluster_sizes"], "cluster sizes differ"
    rank = np.empty(k, dtype=np.int64)
    rank[np.lexsort((np.arange(k), sizes))] = np.arange(k)
    J = np.array([m["row"] for m in meta if m["type"] == grp["type"]
                  and (grp["lang"] == "all" or m["lang"] == grp["lang"])], dtype=np.int64)
    assert len(J) == grp["n"], f"{grp['type']}: n {len(J)} != {grp['n']}"
    cl = np.concatenate([c["cluster"], v["cluster"][J]])
    dist = np.concatenate([c["dist"], v["dist"][J]])
    length = np.concatenate([c["length"], v["length"][J]])
    rnd = np.concatenate([c["random"], v["random"][J]])
    nu = len(cl)
    isvar = np.arange(nu) >= nc
    o = orders(cl, dist, length, rnd, rank, nc)
    ratios = rep["settings"]["ratios"]
    alphas = rep["settings"]["alphas"]
    got = {}
    orig = v["orig"][J]
    og = orig[orig >= 0]
    ogot = {}

    def orig_share(taken):
        return float(taken[og].sum()) / len(og) if len(og) else None

    for name in ("size", "distance", "random", "length"):
        got[name] = [float(isvar[o[name][:budget(p, nu)]].sum()) / len(J) for p in ratios]
        ogot[name] = []
        for p in ratios:
            taken = np.zeros(nu, dtype=bool)
            taken[o[name][:budget(p, nu)]] = True
            ogot[name].append(orig_share(taken))
    for a in alphas:
        rec, orec = [], []
        for p in ratios:
            n = budget(p, nu)
            ns = budget(a, n)
            taken = np.zeros(nu, dtype=bool)
            taken[o["size"][:ns]] = True
            rest = o["distance"][~taken[o["distance"]]][: n - ns]
            taken[rest] = True
            rec.append(float(isvar[taken].sum()) / len(J))
            orec.append(orig_share(taken))
        got["combined-a%.2f" % a] = rec
        ogot["combined-a%.2f" % a] = orec
    if "parse_error" in c:
        gated = np.concatenate([c["parse_error"] | c["undefined_name"],
                                (v["parse_error"] | v["undefined_name"])[J]])
        for gname, flags in (("parse_error", v["parse_error"][J]),
                             ("undefined_name", v["undefined_name"][J]),
                             ("gates", (v["parse_error"] | v["undefined_name"])[J])):
            x = float(flags.sum()) / len(J)
            if abs(x - grp["gates"][gname]) > 1e-12:
                errors.append(f"{grp['type']}/{grp['lang']} gate {gname}: numpy {x} report {grp['gates'][gname]}")
        ng = int(gated.sum())

        def fill(order, taken, cnt):
            free = order[~taken[order]][:cnt]
            taken[free] = True

        fills = [("size", None), ("distance", None)] + [("combined-a%.2f" % a, a) for a in alphas] \
            + [("random", None), ("length", None)]
        for name, a in fills:
            rec, orec = [], []
            for p in ratios:
                n = budget(p, nu)
                taken = gated.copy()
                if ng < n:
                    rest = n - ng
                    if a is None:
                        fill(o[name], taken, rest)
                    else:
                        ns = budget(a, rest)
                        fill(o["size"], taken, ns)
                        fill(o["distance"], taken, rest - ns)
                rec.append(float(isvar[taken].sum()) / len(J))
                orec.append(orig_share(taken))
            got["gate+" + name] = rec
            ogot["gate+" + name] = orec
    for name, vals in got.items():
        want = grp["recall"][name]
        if any(abs(x - y) > 1e-12 for x, y in zip(vals, want)):
            errors.append(f"{grp['type']}/{grp['lang']} recall {name}: numpy {vals} report {want}")
        ow = grp["orig_recall"][name]
        if any((x is None) != (y is None) or (x is not None and abs(x - y) > 1e-12)
               for x, y in zip(ogot[name], ow)):
            errors.append(f"{grp['type']}/{grp['lang']} orig_recall {name}: numpy {ogot[name]} report {ow}")
    sc = {
        "size": (-sizes[c["cluster"]].astype(np.float64), -sizes[v["cluster"][J]].astype(np.float64)),
        "distance": (c["dist"].astype(np.float64), v["dist"][J].astype(np.float64)),
        "random": (-c["random"].astype(np.float64), -v["random"][J].astype(np.float64)),
        "length": (c["length"].astype(np.float64), v["length"][J].astype(np.float64)),
    }
    for name, (cs, vs) in sc.items():
        a = auroc(cs, vs)
        if abs(a - grp["auroc"][name]) > 1e-9:
            errors.append(f"{grp['type']}/{grp['lang']} auroc {name}: numpy {a} report {grp['auroc'][name]}")
    # movement
    has = orig >= 0
    if has.any():
        vc, oc = v["cluster"][J][has], c["cluster"][orig[has]]
        share = float(np.mean(sizes[vc] < sizes[oc]))
        rec_sizes = np.sort(sizes[c["cluster"]])

        def pct(sorted_vals, x):
            b = np.searchsorted(sorted_vals, x, side="left")
            e = np.searchsorted(sorted_vals, x, side="right")
            return 100.0 * (b + 0.5 * (e - b)) / nc

        dsz = np.median(pct(rec_sizes, sizes[vc]) - pct(rec_sizes, sizes[oc]))
        ds = np.sort(c["dist"].astype(np.float64))
        ddi = np.median(pct(ds, v["dist"][J][has].astype(np.float64))
                        - pct(ds, c["dist"][orig[has]].astype(np.float64)))
        mv = grp["movement"]
        for name, x in (("share_smaller_cluster", share), ("median_delta_size_pct", dsz),
                        ("median_delta_dist_pct", ddi)):
            if abs(x - mv[name]) > 1e-9:
                errors.append(f"{grp['type']}/{grp['lang']} {name}: numpy {x} report {mv[name]}")
    return got


def main():
    d = sys.argv[1]
    c, v, meta, rep = load(d)
    want_type = None
    every = "--all" in sys.argv
    if "--type" in sys.argv:
        want_type = sys.argv[sys.argv.index("--type") + 1]
    groups = rep["groups"]
    if not every:
        t = want_type or groups[0]["type"]
        groups = [g for g in groups if g["type"] == t and g["lang"] == "all"]
        if not groups:
            print(f"no group for type {t}", file=sys.stderr)
            return 1
    errors = []
    for g in groups:
        check_group(c, v, meta, rep, g, errors)
    # the recommendation is the best weighted mean over the all-language groups
    ip = rep["settings"]["ratios"].index(rep["settings"]["ratio"])
    allg = [g for g in rep["groups"] if g["lang"] == "all"]
    w = rep["recommendation"]["weights"]
    means = {}
    cands = rep["metrics"] + rep.get("plans", [])
    if rep.get("gates"):
        # gate plans compete only when the flagged clean records fit the budget at the ratio
        b = [x for x in rep["gates"]["budget"] if x["ratio"] == rep["settings"]["ratio"]][0]
        exceed = int((c["parse_error"] | c["undefined_name"]).sum()) > budget(rep["settings"]["ratio"], len(c["cluster"]))
        if exceed != b["gates_exceed_budget"] or exceed != rep["recommendation"]["gates_exceed_budget"]:
            errors.append(f"gates_exceed_budget: numpy {exceed} report {b}")
        if exceed:
            cands = rep["metrics"]
    # random and length (alone or as a plan's fill) are baselines, reported but never recommended
    cands = [m for m in cands if m.split("+")[-1] not in ("random", "length")]
    for m in cands:
        ws = sum(w[g["type"]] for g in allg)
        means[m] = sum(w[g["type"]] * g["recall"][m][ip] for g in allg) / ws
    best = max(cands, key=lambda m: (means[m], -cands.index(m)))
    if best != rep["recommendation"]["name"] or abs(means[best] - rep["recommendation"]["mean_recall"]) > 1e-12:
        errors.append(f"recommendation: numpy {best} {means[best]} report {rep['recommendation']['name']}")
    if "parse_error" in c and rep.get("gates"):
        either = c["parse_error"] | c["undefined_name"]
        gen = c["generated"]
        cl = rep["gates"]["clean"]
        want = {"n": len(gen), "n_generated": int(gen.sum())}
        for gname, f in (("parse_error", c["parse_error"]), ("undefined_name", c["undefined_name"]),
                         ("gates", either)):
            want[gname] = (int(f.sum()), int((f & gen).sum()))
        got_c = {"n": cl["n"], "n_generated": cl["n_generated"]}
        for gname in ("parse_error", "undefined_name", "gates"):
            got_c[gname] = (cl[gname]["flagged"], cl[gname]["flagged_generated"])
        if want != got_c:
            errors.append(f"clean gate counts: numpy {want} report {got_c}")
        if sum(x["n"] for x in rep["gates"]["clean_by_lang"].values()) != len(gen):
            errors.append("clean_by_lang counts do not add up")
    for e in errors:
        print("MISMATCH:", e, file=sys.stderr)
    print(f"analyze_check: {len(groups)} group(s) recomputed, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
