#!/usr/bin/python3
"""gates_ingest.py - the default plan's syntax recall for new files, the product's own way.

usage: SCIPRUNE_BIN=path/to/sciprune bench/gates_ingest.py [--devsrc /work/devsrc]
           [--label NAME] [--out DIR] [--no-write] [--variants auto-p0.20,gate+distance-p0.20]
           [--config default.json] [--threads N]

bench/gates_devcorpus.py mixes the independent corruptions into the job's corpus, so the
corpus it judges is 7-35 % broken by construction and the job's own analysis sees that. An
ingestion user does something else: one job on a clean corpus (here the eval half of the dev
corpus: bench/make_devcorpus.sh), its variant exported as a pruning model, and new files judged
one by one with `sciprune judge` (model/: embed, gates as the job judged them, nearest centroid,
the variant's thresholds). This script does exactly that with data/configs/default.json of the
binary's checkout (corrupt + analyze as configured, so `auto` resolves from the job's own
probes), exports each --variants entry, and judges every independent corruption (all per class,
bench/indep_corrupt.py) with it: recall = share of a class's variants the model does not keep.
Also the clean side: the share of each language's clean files the job prunes and gates.
Prints a markdown section and (unless --no-write) puts it into bench/gates_results.md between
<!-- ingest:LABEL --> ... <!-- /ingest:LABEL -->.
"""
import argparse, json, os, re, subprocess, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the corpus, the binary, OUT and the config: the same setup as bench/gates_devcorpus.py
from gates_devcorpus import LANGS, add_common_args, load_config, pct, read_shard, setup  # noqa: E402


def run(args, **kw):
    t = time.time()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f'gates_ingest: {" ".join(args[:3])}... failed ({p.returncode}):\n{p.stderr[-3000:]}')
    return p, time.time() - t


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap)
    ap.add_argument('--variants', default='auto-p0.20,gate+distance-p0.20,distance-p0.20')
    ap.add_argument('--config', help='job config to take the sections from (default: the checkout\'s default.json)')
    a = ap.parse_args()
    t0 = time.time()
    S = setup(a, 'gates_ingest')
    binp, checkout, label, out = S.binp, S.checkout, S.label, S.out
    clean, idir, corr, labels = S.clean, S.idir, S.corr, S.labels
    cfg_path, cfg = load_config(a, checkout)
    job = {k: cfg[k] for k in ('shard', 'embed', 'gates', 'index', 'score', 'corrupt', 'analyze') if k in cfg}
    job['analyze'] = {k: v for k, v in job.get('analyze', {}).items() if k != 'corrupted'}
    job.update({'inputs': clean, 'workdir': f'{out}/run', 'threads': int(a.threads),
                'prune': dict(cfg.get('prune', {}), write_removed=False, fsync=False)})
    json.dump(job, open(f'{out}/job.json', 'w'), indent=1)
    times = {}
    _, times['run (clean eval half)'] = run([binp, 'run', '--config', f'{out}/job.json'])
    w = f'{out}/run'
    plan = json.load(open(f'{w}/score/plan.json'))
    names = [v['name'] for v in plan['variants']]
    V = len(names)
    variants = [v for v in a.variants.split(',') if v in names]
    rep = json.load(open(f'{w}/analyze/report.json'))
    judged = rep['gates'].get('judged', {}).get('languages', {})

    # the clean side: what the job prunes and gates, per language
    crecs = []
    for sh in clean:
        for i, r in enumerate(read_shard(sh)):
            crecs.append((os.path.basename(sh), i, r['lang']))
    masks = {}
    for sh in clean:
        b = os.path.basename(sh)
        masks[b] = np.unpackbits(np.load(f'{w}/score/{b}.prune.npy'), axis=1, bitorder='little')[:, :V]
    cpe, cun = np.load(f'{w}/analyze/clean.parse_error.npy'), np.load(f'{w}/analyze/clean.undefined_name.npy')
    clean_rows = {}
    for lang in LANGS + ('all',):
        idx = [k for k, r in enumerate(crecs) if lang == 'all' or r[2] == lang]
        pr = np.zeros(V)
        for k in idx:
            pr += masks[crecs[k][0]][crecs[k][1]]
        ng = int(sum((cpe[k] > 0) or (cun[k] > 0) for k in idx))   # accepted records = all here
        clean_rows[lang] = (len(idx), pr, ng)

    # the new files: every independent corruption judged by each exported model
    where = {}
    for lb in labels:
        where[(lb['shard'], lb['index'])] = lb
    res = {}
    reasons = {}
    for vn in variants:
        md = f'{out}/model-{vn}'
        _, times[f'export {vn}'] = run([binp, 'export', '--workdir', w, '--variant', vn, '--out', md])
        t = time.time()
        for sh in corr:
            b = os.path.basename(sh)
            ids = [r['id'] for r in read_shard(sh)]
            p, _ = run([binp, 'judge', '--model', md, '--annotate', sh])
            got = {}
            for line in p.stdout.splitlines():
                j = json.loads(line)
                got[j['id']] = j['sciprune']
            for i, rid in enumerate(ids, 1):
                lb = where.get((b, i))
                if not lb:
                    continue
                v = got.get(rid)
                pruned = v is not None and not v['keep']
                for key in ((lb['lang'], lb['class']), (lb['lang'], '**all syntax**')):
                    r = res.setdefault(key, {})
                    r[vn] = r.get(vn, 0) + pruned
                    r['n'] = r.get('n', 0) + (1 if vn == variants[0] else 0)
                if pruned:
                    rk = (vn, lb['lang'], v['reason'])
                    reasons[rk] = reasons.get(rk, 0) + 1
        times[f'judge {vn}'] = time.time() - t
    model_auto = json.load(open(f'{out}/model-{variants[0]}/model.json')) if variants else {}

    L = []
    P = L.append
    P(f'### {label}: `{binp}`\n')
    P(f'Run {time.strftime("%Y-%m-%d %H:%M")} by `bench/gates_ingest.py` ({time.time() - t0:.0f} s): '
      f'`sciprune run` with the sections of `{os.path.relpath(cfg_path, checkout) if cfg_path.startswith(checkout) else cfg_path}` '
      f'on the clean eval half ({len(crecs)} files), `sciprune export` of {", ".join(variants)}, then '
      f'`sciprune judge` of each of the {len(labels)} independent corruptions ({idir}) as a new file.\n')
    av = next((v for v in plan['variants'] if v['name'].startswith('auto')), None)
    if av:
        P('`auto` resolved to: `' + json.dumps(av.get('auto', {}))[:400] + '`\n')
    P('Gates as the job judged them (share of the language\'s clean files flagged; on/capped/off):\n')
    P('| lang | files | parse_error | undefined_name |')
    P('|---|---:|---|---|')
    for lang in LANGS:
        jl = judged.get(lang, {})

        def st(g):
            o = jl.get(g, {})
            if not o.get('on_by_settings'):
                return 'off by settings'
            return f'{100 * o.get("share", 0):.1f}% ' + ('capped' if o.get('capped') else 'on' if o.get('on') else 'judged off')
        P(f'| {lang} | {jl.get("n", 0)} | {st("parse_error")} | {st("undefined_name")} |')
    if model_auto:
        P(f'\nExported model `{variants[0]}` gates: `' + json.dumps(model_auto.get('gates', {}))[:300] + '`\n')
    P('**Syntax recall for new files** (share of each class\'s independent corruptions the model does not keep)\n')
    P('| lang | class | n | ' + ' | '.join(variants) + ' |')
    P('|---|---|---:|' + '---:|' * len(variants))
    for (lang, cls), r in sorted(res.items(), key=lambda x: (LANGS.index(x[0][0]), x[0][1].startswith('**'), x[0][1])):
        P(f'| {lang} | {cls} | {r["n"]} | ' + ' | '.join(pct(r.get(v, 0), r['n']) for v in variants) + ' |')
    P('')
    P('Why the model prunes them (reason of the verdict, count): ' + '; '.join(
        f'{vn} {lang}: ' + ', '.join(f'{rs} {n}' for (v2, l2, rs), n in sorted(reasons.items()) if v2 == vn and l2 == lang)
        for vn in variants for lang in LANGS) + '\n')
    P('Clean files of the job (eval half) the variants remove ("gated": flagged by the gates as the '
      'analysis judged them, i.e. what `auto`\'s gate plan removes first):\n')
    P('| lang | clean files | gated | ' + ' | '.join(names) + ' |')
    P('|---|---:|---:|' + '---:|' * V)
    for lang in LANGS + ('all',):
        n, pr, ng = clean_rows[lang]
        P(f'| {lang} | {n} | {pct(ng, n)} | ' + ' | '.join(pct(pr[v], n) for v in range(V)) + ' |')
    P('')
    P('Times: ' + ', '.join(f'{k} {v:.0f} s' for k, v in times.items()) + '.\n')
    text = '\n'.join(L)
    print(text)
    json.dump({'label': label, 'recall': {f'{k[0]}/{k[1]}': v for k, v in res.items()},
               'clean': {l: {'n': v[0], 'gated': v[2], **dict(zip(names, map(float, v[1])))} for l, v in clean_rows.items()}},
              open(f'{out}/results.json', 'w'), indent=1)
    if not a.no_write:
        path = os.path.join(HERE, 'gates_results.md')
        cur = open(path).read()
        b, e = f'<!-- ingest:{label} -->', f'<!-- /ingest:{label} -->'
        block = f'{b}\n{text}\n{e}'
        if b in cur:
            cur = re.sub(re.escape(b) + '.*?' + re.escape(e), lambda _: block, cur, flags=re.S)
        else:
            cur = cur.rstrip('\n') + f'\n\n{block}\n'
        open(path, 'w').write(cur)


if __name__ == '__main__':
    main()
