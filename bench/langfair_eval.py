#!/usr/bin/python3
"""Per-language removed share and planted-corruption recall of every variant of a score pass
(bench/langfair_results.md). usage: langfair_eval.py WORKDIR SHARD... [--label NAME]
Reads W/score/plan.json and W/score/<shard>.prune.npy; a record whose id starts with "indep:"
is a planted corruption (bench/langfair_corpus.py), the others are clean. Prints a markdown table:
per variant and language, the clean share removed (and whether it exceeds 2p) and the recall of
the planted corruptions, then the overall recall."""
import json, os, subprocess, sys
import numpy as np

args = [a for a in sys.argv[1:] if not a.startswith("--")]
label = ""
if "--label" in sys.argv:
    label = sys.argv[sys.argv.index("--label") + 1]
    args = [a for a in args if a != label]
w, shards = args[0], args[1:]
plan = json.load(open(os.path.join(w, "score", "plan.json")))
names = [v["name"] for v in plan["variants"]]
ratio = {v["name"]: v["ratio"] for v in plan["variants"]}
langs, planted, bits = [], [], []
for s in shards:
    out = subprocess.run(["zstd", "-dc", s], stdout=subprocess.PIPE, check=True).stdout
    for l in out.splitlines():
        if not l.strip():
            continue
        r = json.loads(l)
        langs.append(r.get("lang", "unknown"))
        planted.append(r["id"].startswith("indep:"))
    m = np.load(os.path.join(w, "score", os.path.basename(s) + ".prune.npy"))
    bits.append(np.unpackbits(m, axis=1, bitorder="little")[:, :len(names)])
bits = np.concatenate(bits)
langs, planted = np.array(langs), np.array(planted)
ls = sorted(set(langs))
print("| %svariant | per_lang | " % ("corpus | " if label else "") +
      " | ".join("%s clean removed | %s recall" % (l, l) for l in ls) + " | recall all | clean removed all |")
print("|" + "---|" * (4 + (1 if label else 0) + 2 * len(ls)))
for v, nm in enumerate(names):
    row = ["%s | " % label if label else "", nm, plan.get("per_lang", "global")]
    cells = []
    for l in ls:
        c = (langs == l) & ~planted
        p = (langs == l) & planted
        share = bits[c, v].mean() if c.any() else 0
        flag = " **>2p**" if share > 2 * ratio[nm] else ""
        cells.append("%.1f%% (%d/%d)%s" % (100 * share, bits[c, v].sum(), c.sum(), flag))
        cells.append("%.2f (%d/%d)" % (bits[p, v].mean(), bits[p, v].sum(), p.sum()) if p.any() else "-")
    allp = planted
    print("| %s%s | %s | %s | %.3f | %.1f%% |" % (row[0], row[1], row[2], " | ".join(cells),
                                               bits[allp, v].mean(), 100 * bits[~planted, v].mean()))
