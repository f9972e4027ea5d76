#!/usr/bin/env python3
"""model_check.py S W MODELS: for every variant of W/score/plan.json, export it with
`S export` into MODELS/<variant>, filter every input shard through `S judge --annotate`, and
check that the verdict of every accepted record equals the variant's bit in
W/score/<shard>.prune.npy (what prune decided), and that plain `judge` writes exactly the kept
lines of W/out/<variant>/kept/<shard> (byte for byte, in order)."""
import glob, json, os, subprocess, sys
import numpy as np

S, W, M = sys.argv[1:4]
plan = json.load(open(f"{W}/score/plan.json"))
shards = json.load(open(f"{W}/embed/shards.json"))["shards"]
nv = plan["n_variants"]
total = near_used = 0
for v in plan["variants"]:
    name, bit = v["name"], v["bit"]
    out = f"{M}/{name}"
    subprocess.run([S, "export", "--workdir", W, "--variant", name, "--out", out], check=True,
                   stderr=subprocess.DEVNULL)
    mj = json.load(open(f"{out}/model.json"))
    assert mj["format"] == "sciprune-model" and mj["version"] == 1, mj
    paths = [sh["path"] for sh in shards]
    r = subprocess.run([S, "judge", "--model", out, "--annotate"] + paths, capture_output=True,
                       check=True)
    lines = r.stdout.decode().splitlines()
    at = 0
    for sh in shards:
        bits = np.unpackbits(np.load(f"{W}/score/{sh['name']}.prune.npy"), axis=1,
                             bitorder="little")[:, :nv][:, bit]
        cl = np.load(f"{W}/assign/{sh['name']}.cluster.npy")
        acc = np.nonzero(cl >= 0)[0]
        mine, at = lines[at:at + len(acc)], at + len(acc)
        assert len(mine) == len(acc), (name, sh["name"], len(mine), len(acc))
        for row, line in zip(acc, mine):
            j = json.loads(line)["sciprune"]
            want_drop = bool(bits[row])
            if j["keep"] == want_drop:
                sys.exit(f"FAIL {name} {sh['name']} line {row + 1}: judge says "
                         f"{'keep' if j['keep'] else 'drop'} ({j}), prune "
                         f"{'pruned' if want_drop else 'kept'} it (cluster {cl[row]})")
            total += 1
    assert at == len(lines), (name, at, len(lines))
    # plain judge: the kept lines verbatim, as prune wrote them
    r = subprocess.run([S, "judge", "--model", out] + paths, capture_output=True, check=True)
    want = b""
    for sh in shards:
        kept = f"{W}/out/{name}/kept/{sh['name']}"
        if os.path.exists(kept):
            want += subprocess.run(["zstd", "-dcq", kept] if kept.endswith(".zst") else ["cat", kept],
                                   capture_output=True, check=True).stdout
    assert r.stdout == want, f"{name}: judge output differs from prune's kept shards"
    ntr = sum(len(s["training"]) for s in mj["steps"])
    print(f"{name}: {mj['variant']['metric']}, {mj['source']['n_pruned']} pruned, "
          f"{ntr} training records near the cuts: verdicts equal prune's")
print(f"model_check: {total} verdicts over {len(plan['variants'])} variants equal prune's")
