#!/usr/bin/python3
"""mpi_same.py A B: workdir B holds the bytes of workdir A (tests/e2e/e2e_mpi.sh,
scripts/test-slurm.sh): out/, score/, index/centroids.npy, assign/, embed/, gates/, corrupt/,
analyze/ and the reports; JSON compared without timings, memory peaks and what a call did
(embed's per-shard "skipped"), with the workdir's own name in paths replaced; reports without
their timing lines. Exits non-zero (an AssertionError naming the file) when they differ."""
import json, os, re, sys
VOLATILE = {"seconds", "peak_rss", "idf_seconds", "elapsed", "started", "finished", "time",
            "wall_seconds", "cpu_seconds", "rss", "threads", "workdir",
            "skipped", "text_bytes"} # embed/summary.json: what this call did (also differs
                                     # in a resumed run of one process)
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE and not k.endswith("_seconds")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
def files(root, sub):
    top = os.path.join(root, sub)
    if os.path.isfile(top):
        return [sub]
    out = []
    for d, _, fs in os.walk(top):
        out += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    return sorted(out)
a, b = sys.argv[1], sys.argv[2]
n = 0
for sub in ["out", "score", "index/centroids.npy", "assign", "embed", "gates", "corrupt", "analyze", "report.json", "report.md"]:
    fa, fb = files(a, sub), files(b, sub)
    assert fa == fb, (sub, set(fa) ^ set(fb))
    for f in fa:
        pa, pb = os.path.join(a, f), os.path.join(b, f)
        if f.endswith(".json"): # the workdir's name in paths is not a difference
            ja = json.loads(open(pa).read().replace(a + "/", "W/"))
            jb = json.loads(open(pb).read().replace(b + "/", "W/"))
            assert strip(ja) == strip(jb), f"{b}: {f} differs"
        elif f.endswith(".md"): # reports: their timing lines aside
            t = re.compile(r"^\| [\w*]+ \| [0-9.]+ \| [0-9.]+ \|$|[0-9.]+ s\b")
            ta = [l for l in open(pa).read().replace(a + "/", "W/").splitlines() if not t.search(l)]
            tb = [l for l in open(pb).read().replace(b + "/", "W/").splitlines() if not t.search(l)]
            assert ta == tb, f"{b}: {f} differs"
        else:
            assert open(pa, "rb").read() == open(pb, "rb").read(), f"{b}: {f} differs"
        n += 1
rep = json.load(open(os.path.join(b, "report.json")))
print(f"{b}: {n} files as {a}")
