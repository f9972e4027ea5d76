#!/usr/bin/python3
"""The SCIP index -> score -> prune pipeline written the way a careful Python user would,
with numpy and Debian's python3-faiss (SemDeDup style), on the vectors `sciprune embed` wrote.

    scip_ref.py WORKDIR OUTDIR [--k 100] [--niter 20] [--seed 1234] [--ratio 0.2]
                [--alpha 0.8] [--threads N] [--dump-sample FILE.npy]

Reads WORKDIR/embed/shards.json, embed/<shard>.npy and embed/<shard>.status.npy (status 1 =
rejected line), then:
  1. sample: the 256*k accepted records with the smallest XXH3_64("<shard name>:<line>", seed),
     sorted by (hash, shard name, line) -- the same sample `sciprune index` uses;
  2. spherical faiss.Kmeans (IndexFlatIP) on the L2-normalised sample, same k, niter, seed;
  3. search every accepted vector for its nearest centroid, distance = 1 - cos;
  4. score "combined" (SCIP): alpha*n records from the smallest clusters (clusters by (size,
     id), within a cluster farthest first), then the rest of the n = round(p * accepted) by
     global distance; ties by (shard, line);
  5. write OUTDIR/kept/<shard> (zstd via python3-zstandard, level 3; plain .jsonl as is) with
     the kept lines byte-identical, and OUTDIR/pruned.npy (int64 global row indices, sorted)
     plus OUTDIR/ref.json (counts, seconds per step).
"""
import argparse, io, json, os, time
import numpy as np
import faiss
import xxhash
import zstandard

ap = argparse.ArgumentParser()
ap.add_argument("workdir")
ap.add_argument("outdir")
ap.add_argument("--k", type=int, default=100)
ap.add_argument("--niter", type=int, default=20)
ap.add_argument("--seed", type=int, default=1234)
ap.add_argument("--ratio", type=float, default=0.2)
ap.add_argument("--alpha", type=float, default=0.8)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--dump-sample", help="write the normalised training sample here and stop")
a = ap.parse_args()
if a.threads:
    faiss.omp_set_num_threads(a.threads)
T = {}
t0 = time.time()

# ---- load the vectors of every shard, in shard order
shards = json.load(open(os.path.join(a.workdir, "embed", "shards.json")))["shards"]
names = [s["name"] for s in shards]
paths = [s["path"] for s in shards]
X, ok = [], []
for n in names:
    X.append(np.load(os.path.join(a.workdir, "embed", n + ".npy")))
    ok.append(np.load(os.path.join(a.workdir, "embed", n + ".status.npy")) != 1)
rows = [len(x) for x in X]
X = np.concatenate(X).astype(np.float32, copy=False)
ok = np.concatenate(ok)
N, d = X.shape
A = np.nonzero(ok)[0]                       # accepted rows, global index in (shard, line) order
nacc = len(A)
# L2-normalise (norms in double, as sciprune does; zero rows stay zero)
nrm = np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64))
inv = np.where(nrm > 0, 1.0 / np.where(nrm > 0, nrm, 1), 1).astype(np.float32)
X *= inv[:, None]
T["load"] = time.time() - t0

# ---- the training sample
t1 = time.time()
k = a.k
if nacc < 39 * k:
    k = max(1, nacc // 39)
M = 256 * k
keys = []
off = 0
for si, n in enumerate(names):
    h = xxhash.xxh3_64_intdigest
    for r in range(rows[si]):
        if ok[off + r]:
            keys.append((h("%s:%d" % (n, r + 1), a.seed), n, r, off + r))
    off += rows[si]
keys.sort()
samp = np.array([g for _, _, _, g in keys[:M]], dtype=np.int64)
xs = np.ascontiguousarray(X[samp])
T["sample"] = time.time() - t1
if a.dump_sample:
    np.save(a.dump_sample, xs)
    raise SystemExit(0)

# ---- k-means
t1 = time.time()
km = faiss.Kmeans(d, k, niter=a.niter, seed=a.seed & 0x7FFFFFFF, spherical=True, verbose=False,
                  max_points_per_centroid=256, min_points_per_centroid=1)
km.train(xs)
T["kmeans"] = time.time() - t1

# ---- nearest centroid of every accepted record
t1 = time.time()
ix = faiss.IndexFlatIP(d)
ix.add(km.centroids)
# search with one OpenMP thread, as sciprune's assign workers do: a 2-thread BLAS can round a
# distance 1 ulp differently, and an exact tie then breaks differently (seen on medium)
faiss.omp_set_num_threads(1)
cl = np.full(N, -1, dtype=np.int64)
dist = np.zeros(N, dtype=np.float32)
B = 8192  # batches of 8192 rows counted from each shard's first row, as sciprune's assign does:
off = 0   # BLAS blocking then gives bit-identical distances, so exact ties break the same way
for si in range(len(names)):
    for i in range(0, rows[si], B):
        g = off + i + np.nonzero(ok[off + i:off + min(i + B, rows[si])])[0]
        if len(g):
            D, I = ix.search(np.ascontiguousarray(X[g]), 1)
            cl[g] = I[:, 0]
            dist[g] = np.float32(1) - D[:, 0]
    off += rows[si]
T["search"] = time.time() - t1

# ---- scores: SCIP combined (size then distance)
t1 = time.time()
size = np.bincount(cl[A], minlength=k)
crank = np.empty(k, dtype=np.int64)
crank[np.lexsort((np.arange(k), size))] = np.arange(k)
negd = -dist[A].astype(np.float64)
order_size = A[np.lexsort((A, negd, crank[cl[A]]))]
order_dist = A[np.lexsort((A, negd))]
n_pr = int(np.floor(a.ratio * nacc + 0.5))
n_s = int(np.floor(a.alpha * n_pr + 0.5))
prune = np.zeros(N, dtype=bool)
prune[order_size[:n_s]] = True
rest = order_dist[~prune[order_dist]]
prune[rest[:n_pr - n_s]] = True
T["score"] = time.time() - t1

# ---- write the kept shards
t1 = time.time()
os.makedirs(os.path.join(a.outdir, "kept"), exist_ok=True)
off, kept = 0, 0
for si, (n, p) in enumerate(zip(names, paths)):
    drop = prune[off:off + rows[si]] | ~ok[off:off + rows[si]]
    out = os.path.join(a.outdir, "kept", n)
    zst = p.endswith(".zst")
    with open(p, "rb") as fi, open(out + ".tmp", "wb") as fo:
        src = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fi, read_across_frames=True),
                                1 << 20) if zst else fi
        dst = zstandard.ZstdCompressor(level=3).stream_writer(fo, closefd=False) if zst else fo
        for r, line in enumerate(src):
            if r < len(drop) and not drop[r]:
                dst.write(line)
                kept += 1
        if zst:
            dst.flush(zstandard.FLUSH_FRAME)
    os.replace(out + ".tmp", out)
    off += rows[si]
T["write"] = time.time() - t1
np.save(os.path.join(a.outdir, "pruned.npy"), np.nonzero(prune)[0].astype(np.int64))
json.dump({"records": int(N), "accepted": int(nacc), "k": k, "d": d, "sample": int(len(samp)),
           "pruned": int(prune.sum()), "kept": kept, "seconds": T,
           "total_seconds": time.time() - t0}, open(os.path.join(a.outdir, "ref.json"), "w"), indent=1)
