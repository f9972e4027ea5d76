#!/usr/bin/python3
"""compare.py WORKDIR REFDIR [VARIANT]: the reference pipeline (scip_ref.py) pruned exactly the
records sciprune's score stage pruned (variant default combined-p0.20-a0.80), and its kept
shards hold the same lines as sciprune's out/<variant>/kept/. Exit 1 on any difference."""
import json, os, subprocess, sys
import numpy as np

work, ref = sys.argv[1], sys.argv[2]
var = sys.argv[3] if len(sys.argv) > 3 else "combined-p0.20-a0.80"
plan = json.load(open(f"{work}/score/plan.json"))
names = [s["name"] for s in plan["shards"]]
V = len(plan["variants"])
v = [x["name"] for x in plan["variants"]].index(var)
mask = np.concatenate([np.unpackbits(np.load(f"{work}/score/{n}.prune.npy"), axis=1,
                                     bitorder="little")[:, v] for n in names])
got = np.nonzero(mask)[0]
want = np.load(f"{ref}/pruned.npy")
fails = 0
if not np.array_equal(got, want):
    a, b = set(got.tolist()), set(want.tolist())
    print(f"FAIL: pruned sets differ: sciprune {len(a)}, reference {len(b)}, "
          f"only sciprune {len(a - b)}, only reference {len(b - a)}", file=sys.stderr)
    fails += 1


def lines(p):
    data = open(p, "rb").read()
    if p.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout
    return data


for n in names:
    if lines(f"{work}/out/{var}/kept/{n}") != lines(f"{ref}/kept/{n}"):
        print(f"FAIL: {n}: kept lines differ", file=sys.stderr)
        fails += 1
if fails:
    sys.exit(1)
print(f"compare: ok ({len(got)} pruned of {len(mask)} records, {len(names)} shards, same kept lines)")
