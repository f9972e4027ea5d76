#!/usr/bin/python3
"""gates_eval.py - measure the quality gates on real code with the sciprune CLI.

usage: gates_eval.py BIN OUTDIR CLEAN_SHARD... [--per-type N] [--threads T]

1. gates on the clean shards alone: each gate's removal share per language (clean files);
2. corrupt --per-type N, then embed, gates, index and score the clean + corrupted shards
   together (distance, combined alpha=0.2, gate+distance; p=0.2) and count, per corruption
   type, the share of its variants each variant pruned (recall);
3. embed alone vs embed --gates (the gates on the embedder's own parse) on the clean shards,
   one run each (a rough figure; bench/gates_cost.sh is the interleaved best-of-3 benchmark).
Prints a markdown report and writes OUTDIR/gates_eval.json.
"""
import json, os, subprocess, sys, time
import numpy as np

def run(args, **kw):
    t = time.time()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    return time.time() - t

def main():
    a = sys.argv[1:]
    per_type, threads = 100, 0
    if '--per-type' in a:
        i = a.index('--per-type'); per_type = int(a[i + 1]); del a[i:i + 2]
    if '--threads' in a:
        i = a.index('--threads'); threads = int(a[i + 1]); del a[i:i + 2]
    binp, out, clean = a[0], a[1], a[2:]
    os.makedirs(out, exist_ok=True)
    T = ['--threads', str(threads)]
    res = {'per_type': per_type}
    # 1. clean-only gates and embed timings
    wc = f'{out}/clean'
    res['embed_seconds_clean'] = run([binp, 'embed', '--workdir', wc, '--in', *clean, *T, '--force'])
    res['embed_gates_seconds_clean'] = run([binp, 'embed', '--workdir', wc, '--in', *clean, *T, '--force', '--gates'])
    res['clean_summary'] = json.load(open(f'{wc}/gates/summary.json'))
    # 2. corruptions
    cdir = f'{out}/corrupt'
    run([binp, 'corrupt', '--in', *clean, '--out', cdir, '--per-type', str(per_type),
         '--langs', 'python,javascript', '--threads', str(threads or os.cpu_count())])
    cshards = sorted(f'{cdir}/{f}' for f in os.listdir(cdir) if f.endswith('.jsonl.zst'))
    allsh = clean + cshards
    w = f'{out}/mixed'
    res['embed_seconds_mixed'] = run([binp, 'embed', '--workdir', w, '--in', *allsh, *T, '--force', '--gates'])
    run([binp, 'index', '--workdir', w, '--in', *allsh, '--k', '100', *T])
    run([binp, 'score', '--workdir', w, '--in', *allsh, '--metrics', 'distance,combined,gate+distance',
         '--ratios', '0.2', '--alphas', '0.2', *T])
    plan = json.load(open(f'{w}/score/plan.json'))
    V = len(plan['variants'])
    names = [v['name'] for v in plan['variants']]
    labels = [json.loads(l) for l in open(f'{cdir}/labels.jsonl')]
    masks = {}
    def mask(shard):
        if shard not in masks:
            m = np.load(f'{w}/score/{shard}.prune.npy')
            masks[shard] = np.unpackbits(m, axis=1, bitorder='little')[:, :V]
        return masks[shard]
    rec = {}
    for lb in labels:
        key = (lb['lang'], lb['corruption'], lb['kind'])
        r = rec.setdefault(key, np.zeros(V + 1))
        r[:V] += mask(lb['shard'])[lb['line'] - 1]
        r[V] += 1
    # clean records pruned by each variant
    clean_pruned = np.zeros(V); clean_n = 0
    for sh in clean:
        m = mask(os.path.basename(sh))
        clean_pruned += m.sum(axis=0); clean_n += m.shape[0]
    res['variants'] = plan['variants']
    res['recall'] = [{'lang': k[0], 'type': k[1], 'kind': k[2], 'n': int(r[V]),
                      **{names[v]: r[v] / r[V] for v in range(V)}} for k, r in sorted(rec.items())]
    res['clean_pruned_share'] = {names[v]: clean_pruned[v] / clean_n for v in range(V)}
    res['mixed_summary'] = json.load(open(f'{w}/gates/summary.json'))
    json.dump(res, open(f'{out}/gates_eval.json', 'w'), indent=1, default=float)
    # report
    print('## Clean files flagged by each gate (gates alone)\n')
    print('| language | files | parse_error | undefined_name | undefined_name abstained |')
    print('|---|---:|---:|---:|---:|')
    for l, v in sorted(res['clean_summary']['languages'].items()):
        print(f"| {l} | {v['files']} | {v['parse_error']['share']*100:.2f}% | "
              f"{v['undefined_name']['share']*100:.2f}% | {v['undefined_name']['abstained_share']*100:.1f}% |")
    print('\n## Recall per corruption type (p = 0.2, k = 100, hash embedder)\n')
    print('| lang | type | kind | n | ' + ' | '.join(names) + ' |')
    print('|---|---|---|---:|' + '---:|' * V)
    for r in res['recall']:
        print(f"| {r['lang']} | {r['type']} | {r['kind']} | {r['n']} | " +
              ' | '.join(f"{r[n]*100:.0f}%" for n in names) + ' |')
    for kind in ('syntax', 'content'):
        for lang in ('python', 'javascript'):
            rs = [r for r in res['recall'] if r['kind'] == kind and r['lang'] == lang]
            if rs:
                tot = sum(r['n'] for r in rs)
                print(f"| {lang} | **all {kind}** | {kind} | {tot} | " + ' | '.join(
                    f"{sum(r[n]*r['n'] for r in rs)/tot*100:.0f}%" for n in names) + ' |')
    print('\nclean records pruned: ' + ', '.join(f"{n} {s*100:.1f}%" for n, s in res['clean_pruned_share'].items()))
    for v in plan['variants']:
        print(f"- {v['name']}: n_pruned {v['n_pruned']} of {plan['n_accepted']}; threshold {json.dumps(v['threshold'])[:300]}")
    e, g = res['embed_seconds_clean'], res['embed_gates_seconds_clean']
    print(f"\n## Throughput\n\nclean shards, one run each: embed {e:.1f}s, embed --gates {g:.1f}s "
          f"(gates add {(g - e) / e * 100:.0f}% on the embedder's parse)")

if __name__ == '__main__':
    main()
