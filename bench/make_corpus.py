#!/usr/bin/python3
"""Build a benchmark corpus of real code: ingest the machine's Python standard library and
installed packages (and npm packages' JavaScript) with `sciprune ingest`, then repeat the
records with distinct ids until the corpus reaches --mb megabytes of JSONL. Deterministic."""
import argparse, glob, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--sciprune", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--mb", type=float, default=220)
ap.add_argument("--docs-per-shard", type=int, default=4000)
a = ap.parse_args()

src = os.path.join(a.out, "src")
if not glob.glob(src + "/*.jsonl.zst"):
    dirs = [d for d in ["/usr/lib/python3.11", "/usr/lib/python3/dist-packages"] if os.path.isdir(d)]
    # npm packages' JavaScript: Debian's node packages, or npm's own tree
    dirs += [d for d in ["/usr/share/nodejs", "/usr/lib/node_modules"] if os.path.isdir(d)]
    subprocess.run([a.sciprune, "ingest", *dirs, "--out", src, "--docs-per-shard", "100000"], check=True)
lines = []
for s in sorted(glob.glob(src + "/*.jsonl.zst")):
    out = subprocess.run(["zstd", "-dc", s], stdout=subprocess.PIPE, check=True).stdout
    lines += out.splitlines()
base = sum(len(l) + 1 for l in lines)
reps = max(1, int(a.mb * 1e6 / base + 0.999))
corpus = os.path.join(a.out, "corpus")
os.makedirs(corpus, exist_ok=True)
for f in glob.glob(corpus + "/*"):
    os.unlink(f)
shard, buf, n = 0, [], 0
def flush():
    global shard, buf
    if not buf:
        return
    p = os.path.join(corpus, "part-%05d.jsonl.zst" % shard)
    subprocess.run(["zstd", "-q", "-3", "-f", "-o", p], input=b"".join(buf), check=True)
    shard += 1
    buf = []
for r in range(reps):
    for l in lines:
        rec = json.loads(l)
        rec["id"] = "%s#%d" % (rec["id"], r)
        buf.append(json.dumps(rec, ensure_ascii=False).encode() + b"\n")
        n += 1
        if len(buf) == a.docs_per_shard:
            flush()
flush()
total = sum(os.path.getsize(p) for p in glob.glob(corpus + "/*.zst"))
print(json.dumps({"records": n, "jsonl_mb": round(base * reps / 1e6, 1), "zst_mb": round(total / 1e6, 1), "shards": shard}))
