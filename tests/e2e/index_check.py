#!/usr/bin/python3
"""Independent checks of a workdir after `sciprune index`, `score` and `prune`.

usage: index_check.py WORK [--truth truth.json] [--removed]

1. numpy and python3-faiss load index/centroids.npy and index/kmeans.faiss, and they agree.
2. assign/: every accepted row's cluster is its nearest centroid (numpy, and faiss search),
   distances match, rejected rows are -1 / 0, clusters.json sizes match.
3. score/: every variant's pruned set equals a numpy reimplementation of its metric (size,
   distance, distance-pc, combined, combined-pc, random via libxxhash through ctypes, length).
4. out/: per shard and variant, kept + removed + rejected = input lines, kept/removed are the
   accepted lines in order, byte for byte, and follow the mask; counts match prune.json.
5. With --truth: the planted tiny cluster is pruned by size-p0.02 and the planted outliers by
   distance-p0.02.
"""
import ctypes, json, math, os, subprocess, sys
from fractions import Fraction
import numpy as np
import faiss

work = sys.argv[1]
truth = json.load(open(sys.argv[sys.argv.index('--truth') + 1])) if '--truth' in sys.argv else None
removed = '--removed' in sys.argv
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
        print('FAIL:', msg, file=sys.stderr)


def read_lines(path):
    data = open(path, 'rb').read()
    if path.endswith('.zst'):
        data = subprocess.run(['zstd', '-dc', path], capture_output=True, check=True).stdout
    if not data:
        return []
    assert data.endswith(b'\n'), path
    return data[:-1].split(b'\n')


shards = json.load(open(f'{work}/embed/shards.json'))['shards']
names = [s['name'] for s in shards]
paths = [s['path'] for s in shards]

# 1. centroids and FAISS index
C = np.load(f'{work}/index/centroids.npy')
ix = faiss.read_index(f'{work}/index/kmeans.faiss')
clus = json.load(open(f'{work}/index/clusters.json'))
k, d = C.shape
check(C.dtype == np.float32, 'centroids are float32')
check(ix.ntotal == k and ix.d == d and k == clus['k'], 'index holds k centroids of dimension d')
check(np.array_equal(ix.reconstruct_n(0, k), C), 'index vectors == centroids.npy')
cosine = clus['metric'] == 'cosine'
check((ix.metric_type == faiss.METRIC_INNER_PRODUCT) == cosine, 'index metric matches')
if cosine:
    check(np.allclose(np.linalg.norm(C, axis=1), 1, atol=1e-4), 'cosine centroids are unit length')

# 2. assignment
cl_all, ds_all, acc_all, len_all, id_all, lines_all = [], [], [], [], [], []
sizes = np.zeros(k, dtype=np.int64)
for name, path in zip(names, paths):
    X = np.load(f'{work}/embed/{name}.npy').astype(np.float32)
    st = np.load(f'{work}/embed/{name}.status.npy')
    cl = np.load(f'{work}/assign/{name}.cluster.npy')
    ds = np.load(f'{work}/assign/{name}.dist.npy')
    check(cl.dtype == np.int32 and ds.dtype == np.float32 and len(cl) == len(X) == len(ds),
          f'{name}: assign arrays int32/float32 with one entry per row')
    ok = st != 1
    check(np.all(cl[~ok] == -1) and np.all(ds[~ok] == 0), f'{name}: rejected rows are -1 / 0')
    Xa = X[ok]
    if cosine:
        Xa = Xa / np.maximum(np.linalg.norm(Xa, axis=1, keepdims=True), 1e-30)
        sim = Xa @ C.T
        got = sim[np.arange(len(Xa)), cl[ok]]
        check(np.all(got >= sim.max(1) - 1e-5), f'{name}: cluster is the nearest centroid (numpy)')
        check(np.allclose(ds[ok], 1 - got, atol=1e-5), f'{name}: distance = 1 - cos')
    else:
        d2 = ((Xa[:, None, :] - C[None, :, :]) ** 2).sum(-1)
        got = d2[np.arange(len(Xa)), cl[ok]]
        check(np.all(got <= d2.min(1) + 1e-4), f'{name}: cluster is the nearest centroid (numpy)')
        check(np.allclose(ds[ok], np.sqrt(got), atol=1e-4), f'{name}: distance = |x - c|')
    D, I = ix.search(np.ascontiguousarray(Xa, dtype=np.float32), 1)
    agree = (I[:, 0] == cl[ok]) | (np.abs(D[:, 0] - (1 - ds[ok] if cosine else ds[ok] ** 2)) < 1e-4)
    check(agree.all(), f'{name}: python faiss search agrees')
    sizes += np.bincount(cl[ok], minlength=k)
    lines = read_lines(path)
    check(len(lines) == len(X), f'{name}: one embedding row per input line')
    lens = np.zeros(len(lines), dtype=np.int64)
    ids = [None] * len(lines)
    for i, l in enumerate(lines):
        if ok[i]:
            rec = json.loads(l)
            lens[i] = len(rec['content'].encode())
            ids[i] = rec.get('id', f'{name}:{i + 1}')
    cl_all.append(cl); ds_all.append(ds); acc_all.append(ok); len_all.append(lens)
    id_all += ids; lines_all.append(lines)
check(list(sizes) == clus['sizes'], 'clusters.json sizes == bincount of assignments')

# 3. selection
cl = np.concatenate(cl_all); ds = np.concatenate(ds_all); acc = np.concatenate(acc_all)
ln = np.concatenate(len_all)
N = len(cl); g = np.arange(N)
A = g[acc]                                   # accepted record indices, in (shard, line) order
nacc = len(A)
plan = json.load(open(f'{work}/score/plan.json'))
V = len(plan['variants'])
mask = np.concatenate([np.unpackbits(np.load(f'{work}/score/{n}.prune.npy'), axis=1,
                                     bitorder='little')[:, :V] for n in names])
check(mask.shape == (N, V), 'mask shape')
check(not mask[~acc].any(), 'rejected lines are never pruned')

csize = np.bincount(cl[A], minlength=k)
crank = np.empty(k, dtype=np.int64)
crank[np.lexsort((np.arange(k), csize))] = np.arange(k)
negd = -ds.astype(np.float64)
order_size = A[np.lexsort((A, negd[A], crank[cl[A]]))]
order_dist = A[np.lexsort((A, negd[A]))]
order_cl = A[np.lexsort((A, negd[A], cl[A]))]
pos = np.zeros(N, dtype=np.int64)
prev, p = -1, 0
for x in order_cl:
    p = p + 1 if cl[x] == prev else 0
    prev = cl[x]
    pos[x] = p
order_pc = np.array(sorted(A, key=lambda x: (Fraction(int(pos[x]), int(csize[cl[x]])), x)), dtype=np.int64)
order_len = A[np.lexsort((A, -ln[A]))]
xx = ctypes.CDLL('libxxhash.so.0')
xx.XXH3_64bits_withSeed.restype = ctypes.c_uint64
xx.XXH3_64bits_withSeed.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
rseed = (plan['seed'] ^ 0x9E3779B97F4A7C15) & (2 ** 64 - 1)
if plan['random_key'] == 'id':
    keys = [id_all[x].encode() for x in A]
else:
    off = np.cumsum([0] + [len(c) for c in cl_all])
    def addr(x):
        s = int(np.searchsorted(off, x, side='right') - 1)
        return f'{names[s]}:{x - off[s] + 1}'.encode()
    keys = [addr(x) for x in A]
hashes = [xx.XXH3_64bits_withSeed(kk, len(kk), rseed) for kk in keys]
order_rand = np.array([x for _, x in sorted(zip(hashes, A.tolist()))], dtype=np.int64)
orders = {'size': order_size, 'distance': order_dist, 'distance-pc': order_pc,
          'random': order_rand, 'length': order_len}

for v, var in enumerate(plan['variants']):
    n = math.floor(var['ratio'] * nacc + 0.5)
    m = var['metric']
    if m in ('combined', 'combined-pc'):
        ns = math.floor(var['alpha'] * n + 0.5)
        want = set(order_size[:ns].tolist())
        rest = [x for x in (order_pc if m == 'combined-pc' else order_dist).tolist() if x not in want]
        want |= set(rest[:n - ns])
    else:
        want = set(orders[m][:n].tolist())
    got = set(np.nonzero(mask[:, v])[0].tolist())
    check(got == want, f'{var["name"]}: pruned set matches numpy ({len(got)} vs {len(want)})')
    check(var['n_pruned'] == n, f'{var["name"]}: n_pruned = round(p * accepted)')
    pc = [c['pruned'][v] for c in plan['clusters']]
    check(pc == list(np.bincount(cl[mask[:, v] == 1], minlength=k)), f'{var["name"]}: per-cluster pruned')

for c in plan['clusters']:
    dd = ds[A][cl[A] == c['id']]
    check(c['size'] == len(dd), f'cluster {c["id"]} size')
    if len(dd):
        q = np.quantile(dd.astype(np.float64), [0.1, 0.5, 0.9])
        check(np.allclose([c['dist']['p10'], c['dist']['p50'], c['dist']['p90']], q, atol=1e-6),
              f'cluster {c["id"]} distance quantiles')

# 4. outputs and the accounting invariant
prune = json.load(open(f'{work}/out/prune.json'))
off = 0
for si, (name, path) in enumerate(zip(names, paths)):
    lines = lines_all[si]
    n = len(lines)
    okm = acc[off:off + n]
    rej_path = f'{work}/out/rejected/{name}.jsonl'
    rej = read_lines(rej_path) if os.path.exists(rej_path) else []
    check(len(rej) == int((~okm).sum()), f'{name}: rejected file holds the rejected lines')
    for r in rej:
        o = json.loads(r)
        check(o['shard'] == name and not okm[o['line'] - 1] and o['raw'].encode() == lines[o['line'] - 1],
              f'{name}: rejected record {o["line"]} verbatim')
    accepted = [l for l, a in zip(lines, okm) if a]
    for v, var in enumerate(plan['variants']):
        mk = mask[off:off + n, v][okm]
        kept = read_lines(f'{work}/out/{var["name"]}/kept/{name}')
        check(kept == [l for l, b in zip(accepted, mk) if not b], f'{var["name"]}/{name}: kept lines byte-identical, in order')
        if removed:
            rem = read_lines(f'{work}/out/{var["name"]}/removed/{name}')
            check(rem == [l for l, b in zip(accepted, mk) if b], f'{var["name"]}/{name}: removed lines')
            check(len(kept) + len(rem) + len(rej) == n, f'{var["name"]}/{name}: kept + removed + rejected = lines')
            it_k, it_r = iter(kept), iter(rem)
            merged = [next(it_r) if b else next(it_k) for b in mk]
            check(merged == accepted, f'{var["name"]}/{name}: kept+removed interleave back to the accepted lines')
        check(prune['shards'][si]['kept'][v] == len(kept), f'{var["name"]}/{name}: prune.json kept count')
    off += n
for v, var in enumerate(prune['variants']):
    check(var['kept'] + var['pruned'] + var['rejected'] == N, f'{var["name"]}: totals add up')
    check(var['pruned'] == plan['variants'][v]['n_pruned'], f'{var["name"]}: pruned == plan')
lang_total = sum(l['records'] for l in prune['languages'])
check(lang_total == nacc, 'languages cover every accepted record')

# 5. planted structure
if truth:
    vi = {var['name']: v for v, var in enumerate(plan['variants'])}
    rid = {x: i for i, x in enumerate(id_all) if x is not None}
    tiny = [rid[r] for r in truth['tiny']]
    outl = [rid[r] for r in truth['outlier']]
    if 'size-p0.02' in vi:
        check(mask[tiny, vi['size-p0.02']].all(), 'size-p0.02 prunes the whole planted tiny cluster')
    if 'distance-p0.02' in vi:
        check(mask[outl, vi['distance-p0.02']].all(), 'distance-p0.02 prunes every planted outlier')
    if 'random-p0.02' in vi:
        check(mask[outl, vi['random-p0.02']].sum() < len(outl), 'random does not find all outliers')

if fails:
    print(f'{len(fails)} checks failed', file=sys.stderr)
    sys.exit(1)
print(f'index_check: ok ({N} lines, {nacc} accepted, k={k}, {V} variants)')
