#!/usr/bin/python3
"""Synthetic corpus for the index/score/prune tests: shards + the embed stage's files.

usage: index_data.py OUT [--seed S] [--d D]

Writes OUT/shards/{a.jsonl, b.jsonl.zst, c.jsonl} (c has rejected lines: bad JSON, no text
field, a blank line), OUT/work/embed/<shard>.npy (a, c float32; b float16), <shard>.status.npy
(1 = rejected line, rows all zero; 2 = an embedder fallback that still counts),
OUT/work/embed/shards.json, and OUT/truth.json: ids of the planted tiny cluster and of the planted
outliers. Vectors: six big clusters (normalise(center + 0.15 noise), scaled randomly so that
cosine must normalise), a tiny tight cluster of 24 records, and 6 outliers orthogonal to every
center.
"""
import json, os, subprocess, sys
import numpy as np

out = sys.argv[1]
seed = int(sys.argv[sys.argv.index('--seed') + 1]) if '--seed' in sys.argv else 1
d = int(sys.argv[sys.argv.index('--d') + 1]) if '--d' in sys.argv else 16
rng = np.random.default_rng(seed)

def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)

centers = unit(rng.normal(size=(7, d)))          # 6 big + 1 tiny
Q, _ = np.linalg.qr(centers.T)                     # basis of the centers' span
sizes = {'a.jsonl': 700, 'b.jsonl.zst': 700, 'c.jsonl': 520}
total = sum(sizes.values())
kinds = np.array(['big'] * total, dtype=object)
pos = rng.permutation(total)
kinds[pos[:24]] = 'tiny'
kinds[pos[24:30]] = 'outlier'

os.makedirs(f'{out}/shards', exist_ok=True)
os.makedirs(f'{out}/work/embed', exist_ok=True)
truth = {'tiny': [], 'outlier': []}
langs = ['python', 'javascript', 'c']
gi = 0
listing = []
for name, n in sizes.items():
    lines, vecs, status = [], [], []
    bad_at = {60: b'{"id": "bad-json", "content": "x"', 200: b'{"id": "no-text", "lang": "c"}',
              333: b''} if name == 'c.jsonl' else {}
    for i in range(n):
        if i in bad_at:
            lines.append(bad_at[i])
            vecs.append(np.zeros(d))
            status.append(1)
            continue
        kind = kinds[gi]
        rid = f'{name.split(".")[0]}-{i:05d}'
        if kind == 'big':
            v = unit(centers[rng.integers(6)] + 0.15 * rng.normal(size=d))
        elif kind == 'tiny':
            v = unit(centers[6] + 0.05 * rng.normal(size=d))
            truth['tiny'].append(rid)
        else:
            r = rng.normal(size=d)
            r -= Q @ (Q.T @ r)
            v = unit(r)
            truth['outlier'].append(rid)
        vecs.append(v * rng.uniform(0.5, 3.0))
        status.append(2 if i % 97 == 5 else 0)
        body = ''.join(f'def f{j}(x):\n    return x + {j}\n' for j in range(int(rng.integers(1, 40))))
        if i % 50 == 7:
            body += 'é ünïcode ✓\n'
        rec = {'id': rid, 'content': body, 'lang': langs[gi % 3]}
        lines.append(json.dumps(rec, ensure_ascii=(i % 2 == 0)).encode())
        gi += 1
    raw = b''.join(l + b'\n' for l in lines)
    path = f'{out}/shards/{name}'
    if name.endswith('.zst'):
        subprocess.run(['zstd', '-q', '-f', '-o', path], input=raw, check=True)
    else:
        open(path, 'wb').write(raw)
    a = np.array(vecs, dtype=np.float16 if name.endswith('.zst') else np.float32)
    np.save(f'{out}/work/embed/{name}.npy', a)
    np.save(f'{out}/work/embed/{name}.status.npy', np.array(status, dtype=np.uint8))
    listing.append({'path': os.path.abspath(path), 'name': name})
json.dump({'shards': listing}, open(f'{out}/work/embed/shards.json', 'w'), indent=1)
json.dump(truth, open(f'{out}/truth.json', 'w'), indent=1)
