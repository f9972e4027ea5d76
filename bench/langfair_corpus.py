#!/usr/bin/python3
"""Build a mixed-language corpus for the per-language fairness bench (bench/langfair_results.md):
clean files from the dev corpus (bench/make_devcorpus.sh: DEVSRC/shards/<half>/) plus planted
corruptions of the same half (DEVSRC/indep/<half>/corrupt-<lang>.jsonl.zst, ids "indep:..."),
so that a plan's removed share per language and its recall of real syntax errors per language
can be read from one score pass (bench/langfair_eval.py).

usage: langfair_corpus.py --out DIR [--devsrc /work/devsrc] [--halves eval,tune]
                          [--take python=ALL,javascript=400,c=89] [--plant 0.06] [--plant-min 20]
Files of a language are chosen by sha1(id) order (stable); --take LANG=ALL keeps every file.
Planted corruptions per language: max(plant-min, round(plant x clean files)), at most what the
half has, chosen by sha1(id). Writes DIR/shard-00000.jsonl.zst and DIR/corpus.json (counts)."""
import argparse, hashlib, json, os, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--devsrc", default="/work/devsrc")
ap.add_argument("--halves", default="eval,tune")
ap.add_argument("--take", default="python=ALL,javascript=400,c=89")
ap.add_argument("--plant", type=float, default=0.06)
ap.add_argument("--plant-min", type=int, default=20)
ap.add_argument("--plant-half", default="eval")
a = ap.parse_args()

def zlines(p):
    out = subprocess.run(["zstd", "-dc", p], stdout=subprocess.PIPE, check=True).stdout
    return [l for l in out.splitlines() if l.strip()]

def h(s):
    return hashlib.sha1(s.encode()).hexdigest()

take = {}
for kv in a.take.split(","):
    k, v = kv.split("=")
    take[k] = None if v == "ALL" else int(v)
clean = {}
for half in a.halves.split(","):
    d = os.path.join(a.devsrc, "shards", half)
    for f in sorted(os.listdir(d)):
        for l in zlines(os.path.join(d, f)):
            r = json.loads(l)
            if r["lang"] in take:
                clean.setdefault(r["lang"], []).append((h(r["id"]), l))
rows, counts = [], {}
for lang, v in sorted(clean.items()):
    v.sort()
    n = take[lang] if take[lang] is not None else len(v)
    rows += [l for _, l in v[:n]]
    counts[lang] = {"clean": min(n, len(v))}
ind = os.path.join(a.devsrc, "indep", a.plant_half)
for lang in sorted(counts):
    p = os.path.join(ind, "corrupt-%s.jsonl.zst" % lang)
    if not os.path.exists(p):
        counts[lang]["planted"] = 0
        continue
    v = sorted((h(json.loads(l)["id"]), l) for l in zlines(p))
    n = min(len(v), max(a.plant_min, int(round(a.plant * counts[lang]["clean"]))))
    rows += [l for _, l in v[:n]]
    counts[lang]["planted"] = n
rows.sort(key=lambda l: h(json.loads(l)["id"]))  # languages interleaved, stable
os.makedirs(a.out, exist_ok=True)
subprocess.run(["zstd", "-q", "-3", "-f", "-o", os.path.join(a.out, "shard-00000.jsonl.zst")],
               input=b"\n".join(rows) + b"\n", check=True)
with open(os.path.join(a.out, "corpus.json"), "w") as f:
    json.dump({"devsrc": a.devsrc, "halves": a.halves, "take": a.take, "plant": a.plant,
               "plant_min": a.plant_min, "counts": counts}, f, indent=1)
print(json.dumps(counts))
