#!/usr/bin/python3
"""Helpers of bench/sites_eval.sh: split a corpus into halves by id hash; recall per type."""
import glob, hashlib, json, os, subprocess, sys
import numpy as np


def records(path):
    p = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True)
    for line in p.stdout.splitlines():
        yield line


def half(rid):
    return hashlib.sha1(rid.encode()).digest()[0] & 1


def split(out, shards):
    outs = {0: [], 1: []}
    for s in shards:
        for line in records(s):
            try:
                rid = json.loads(line)["id"]
            except Exception:
                continue
            outs[half(str(rid))].append(line)
    for h, name in ((0, "a"), (1, "b")):
        data = b"\n".join(outs[h]) + b"\n"
        subprocess.run(["zstd", "-q", "-f", "-o", os.path.join(out, name + ".jsonl.zst")],
                       input=data, check=True)
    print(f"split: A {len(outs[0])} records, B {len(outs[1])}")


def key(rid):
    return int.from_bytes(hashlib.sha1(("r" + rid).encode()).digest()[:8], "little")


def recall(out, ratio=0.2):
    emb = os.path.join(out, "wb", "embed")
    st = np.load(os.path.join(emb, "b.jsonl.zst.status.npy"))
    sc = np.load(os.path.join(emb, "b.jsonl.zst.sites.npy"))
    ids = [json.loads(l)["id"] for l in records(os.path.join(out, "b.jsonl.zst"))]
    ok = st != 1  # accepted records
    clean = [(float(sc[i]), key(str(ids[i]))) for i in range(len(ids)) if ok[i]]
    groups = {}
    for f in sorted(glob.glob(os.path.join(out, "corrupt", "corrupt-*.jsonl.zst"))):
        name = os.path.basename(f)
        v = np.load(os.path.join(emb, name + ".sites.npy"))
        for i, line in enumerate(records(f)):
            r = json.loads(line)
            groups.setdefault(r["corruption"], []).append((float(v[i]), key(r["id"]), r["lang"]))
    # distance: the hash vectors of the same records; k-means (k = 100, cosine, 20 Lloyd
    # iterations, seed 1234) on the clean B records, distance = 1 - cos to the nearest centroid,
    # farthest pruned first (the pipeline's `distance` metric, recomputed here on this pool)
    vec = np.load(os.path.join(emb, "b.jsonl.zst.npy")).astype(np.float32)[ok]
    rng = np.random.default_rng(1234)
    cen = vec[rng.choice(len(vec), 100, replace=False)].copy()
    for _ in range(20):
        a = np.argmax(vec @ cen.T, axis=1)
        for j in range(len(cen)):
            m = vec[a == j]
            if len(m):
                c = m.sum(0)
                cen[j] = c / max(np.linalg.norm(c), 1e-12)
    cdist = 1 - np.max(vec @ cen.T, axis=1)
    vdist = {}
    for f in sorted(glob.glob(os.path.join(out, "corrupt", "corrupt-*.jsonl.zst"))):
        name = os.path.basename(f)
        vv = np.load(os.path.join(emb, name + ".npy")).astype(np.float32)
        vdist[name] = 1 - np.max(vv @ cen.T, axis=1)
    dclean = [(float(cdist[i]), k) for i, (_, k) in enumerate(clean)]
    dgroups = {}
    for f in sorted(glob.glob(os.path.join(out, "corrupt", "corrupt-*.jsonl.zst"))):
        name = os.path.basename(f)
        for i, line in enumerate(records(f)):
            r = json.loads(line)
            dgroups.setdefault(r["corruption"], []).append((float(vdist[name][i]), key(r["id"]), r["lang"]))
    res = {}
    for t, var in sorted(groups.items()):
        for lang in ("all", "python", "javascript"):
            vv = [x for x in var if lang == "all" or x[2] == lang]
            if not vv:
                continue
            n = len(clean) + len(vv)
            budget = int(ratio * n + 0.5)
            allr = [(-s, k, 0) for s, k in clean] + [(-s, k, 1) for s, k, _ in vv]
            allr.sort()
            caught = sum(x[2] for x in allr[:budget])
            dv = [x for x in dgroups[t] if lang == "all" or x[2] == lang]
            alld = [(-s, k, 0) for s, k in dclean] + [(-s, k, 1) for s, k, _ in dv]
            alld.sort()
            dcaught = sum(x[2] for x in alld[:budget])
            # random: the same budget, expected share
            res[(t, lang)] = (len(vv), caught / len(vv), dcaught / len(vv), budget / n,
                              float(np.mean([s for s, _, _ in vv])), float(np.mean([s for s, _ in clean])))
    print(f"clean B records: {len(clean)}; recall at p = {ratio}; random = the budget's share")
    print(f"| type | lang | n | sites | distance | random | mean sites score, variants | clean |")
    print(f"|---|---|---:|---:|---:|---:|---:|---:|")
    for (t, lang), (n, r, d, rr, mv, mc) in res.items():
        print(f"| {t} | {lang} | {n} | {r:.3f} | {d:.3f} | {rr:.3f} | {mv:.3f} | {mc:.3f} |")
    json.dump({f"{t}/{l}": v for (t, l), v in res.items()}, open(os.path.join(out, "recall.json"), "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3:])
    else:
        recall(sys.argv[2])
