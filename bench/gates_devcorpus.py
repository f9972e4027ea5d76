#!/usr/bin/python3
"""gates_devcorpus.py - the quality gates measured on the independent dev corpus (eval half).

usage: SCIPRUNE_BIN=path/to/sciprune bench/gates_devcorpus.py [--devsrc /work/devsrc]
           [--label NAME] [--out DIR] [--no-write] [--dump-flagged N] [--run-per-class N]
           [--config JOB.json]

Needs bench/make_devcorpus.sh to have run (DEVSRC/shards/eval, DEVSRC/indep/eval: the
independent corruptions of bench/indep_corrupt.py with the real tools' verdicts on every eval
file). Nothing here depends on the binary's own corruption engine. With the binary:
  1. `sciprune gates` on the eval clean shards and on the corruptions, once with every language
     on (--parse-error-langs all --undefined-name-langs all) and once with the binary's defaults:
     per language the share of clean files each gate flags, on all files and on the files the
     real tool (compile() / node --check / gcc -fsyntax-only) accepts; recall of each gate per
     error class (share of the validated variants it flags);
  2. `sciprune run` with the score/embed/index/gates sections of the binary's own
     data/configs/default.json (found next to the binary's build folder; else this checkout's),
     inputs = eval clean shards + the corruptions, corrupt/analyze off, prune.write_removed on:
     syntax recall per language and class of each score variant (which records W/score's prune
     masks remove), and the clean share removed, by the gates and in all.
Prints a markdown section and (unless --no-write) puts it into bench/gates_results.md between
the markers <!-- devcorpus:LABEL --> ... <!-- /devcorpus:LABEL --> (a rerun with the same label
replaces its block). LABEL defaults to the binary's checkout folder name.
"""
import argparse, io, json, os, re, shutil, subprocess, sys, time
import numpy as np
import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
LANGS = ('python', 'javascript', 'c')


def read_shard(path):
    with open(path, 'rb') as fh:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding='utf-8'):
            yield json.loads(line)


def run(args, **kw):
    t = time.time()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f'gates_devcorpus: {" ".join(args[:3])}... failed ({p.returncode}):\n{p.stderr[-3000:]}')
    return time.time() - t


def pct(a, b):
    return f'{100.0 * a / b:.1f}%' if b else '–'


def gate_values(w, shards):
    """{shard basename: (parse_error array, undefined_name array)}"""
    out = {}
    for sh in shards:
        b = os.path.basename(sh)
        out[b] = (np.load(f'{w}/gates/{b}.parse_error.npy'), np.load(f'{w}/gates/{b}.undefined_name.npy'))
    return out


def add_common_args(ap):
    """The options every dev-corpus bench takes (this script and bench/gates_ingest.py)."""
    ap.add_argument('--devsrc', default=os.environ.get('DEVSRC', '/work/devsrc'))
    ap.add_argument('--label')
    ap.add_argument('--out')
    ap.add_argument('--no-write', action='store_true')
    ap.add_argument('--threads', default='0')


def setup(a, tool):
    """The binary, its checkout, the label, a fresh OUT folder (default /tmp/<tool>.<label>), the
    clean eval shards, the independent corruptions and their labels. Returns a namespace."""
    binp = os.path.abspath(os.environ.get('SCIPRUNE_BIN', os.path.join(HERE, '..', 'build', 'cli', 'sciprune')))
    if not os.access(binp, os.X_OK):
        sys.exit(f'{tool}: no sciprune binary at {binp} (set SCIPRUNE_BIN)')
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(binp)))   # <checkout>/build/cli/sciprune
    label = a.label or os.path.basename(checkout)
    out = a.out or f'/tmp/{tool}.{label}'
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    d = a.devsrc
    clean = sorted(f'{d}/shards/eval/{f}' for f in os.listdir(f'{d}/shards/eval') if f.endswith('.jsonl.zst'))
    idir = f'{d}/indep/eval'
    corr = sorted(f'{idir}/{f}' for f in os.listdir(idir) if f.startswith('corrupt-') and f.endswith('.jsonl.zst'))
    labels = [json.loads(l) for l in open(f'{idir}/labels.jsonl')]
    return argparse.Namespace(binp=binp, checkout=checkout, label=label, out=out, devsrc=d,
                              clean=clean, idir=idir, corr=corr, labels=labels)


def load_config(a, checkout):
    """(path, dict) of --config, else data/configs/default.json of the binary's checkout, else
    this checkout's."""
    cfg_path = a.config or os.path.join(checkout, 'data', 'configs', 'default.json')
    if not os.path.exists(cfg_path):
        cfg_path = os.path.join(HERE, '..', 'data', 'configs', 'default.json')
    return cfg_path, json.load(open(cfg_path))


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap)
    ap.add_argument('--dump-flagged', type=int, default=0,
                    help='write up to N flagged clean files per gate and language to OUT/flagged/')
    ap.add_argument('--run-per-class', type=int, default=0,
                    help='mix only the first N variants of each class into the default-plan run (default: all); '
                         'a job judges a gate off for a language where it flags over 10 %% of the inputs, '
                         'which 30 variants per class exceed')
    ap.add_argument('--config', help='job config to take the sections from (default: data/configs/default.json '
                    'of the binary\'s checkout): e.g. a default with other gates.js_envs or corrupt.langs')
    a = ap.parse_args()
    t_start = time.time()
    S = setup(a, 'gates_devcorpus')
    binp, checkout, label, out, d = S.binp, S.checkout, S.label, S.out, S.devsrc
    clean, idir, corr, labels = S.clean, S.idir, S.corr, S.labels
    acc = {j['id']: j for j in map(json.loads, open(f'{idir}/accepted.jsonl'))}
    man = json.load(open(f'{d}/manifest.json'))
    T = ['--threads', a.threads]

    # records of the clean shards: (shard, index, id, lang, path)
    crecs = []
    for sh in clean:
        for i, r in enumerate(read_shard(sh)):
            crecs.append((os.path.basename(sh), i, r['id'], r['lang'], r['path'], r['content']))

    # 1. the gates alone
    times = {}
    G = {}
    for mode, flags in (('all', ['--parse-error-langs', 'all', '--undefined-name-langs', 'all']),
                        ('default', [])):
        for part, shards in (('clean', clean), ('corrupt', corr)):
            w = f'{out}/gates-{mode}-{part}'
            times[f'gates {mode} {part}'] = run([binp, 'gates', '--workdir', w, '--in', *shards, *T, *flags])
            G[(mode, part)] = gate_values(w, shards)
    summ = {m: json.load(open(f'{out}/gates-{m}-clean/gates/summary.json')) for m in ('all', 'default')}

    def flags_of(mode, part, shard, i):
        pe, un = G[(mode, part)][shard]
        return float(pe[i]) > 0, float(un[i]) > 0

    clean_rows = {}
    flagged_lists = {}
    for lang in LANGS:
        rs = [r for r in crecs if r[3] == lang]
        row = {'files': len(rs), 'accepted': sum(1 for r in rs if acc.get(r[2], {}).get('accepted'))}
        for mode in ('all', 'default'):
            for gi, gname in ((0, 'parse_error'), (1, 'undefined_name'), (2, 'either')):
                n_all = n_acc = 0
                for r in rs:
                    f = flags_of(mode, 'clean', r[0], r[1])
                    hit = (f[0] or f[1]) if gi == 2 else f[gi]
                    if hit:
                        n_all += 1
                        if acc.get(r[2], {}).get('accepted'):
                            n_acc += 1
                        if mode == 'all' and gi < 2:
                            flagged_lists.setdefault((gname, lang), []).append(r)
                row[(mode, gname)] = (n_all, n_acc)
            ab = summ[mode]['languages'].get(lang, {}).get('undefined_name', {})
            row[(mode, 'abstained')] = ab.get('abstained', 0) if ab.get('on') else None
        clean_rows[lang] = row

    # recall per class
    rec = {}
    where = {r[2]: (r[0], r[1]) for r in crecs}
    for lb in labels:
        key = (lb['lang'], lb['class'])
        r = rec.setdefault(key, {'n': 0})
        r['n'] += 1
        # parse_error on the variants whose original it does not flag (gates all): the edit's doing
        if lb['orig_id'] in where and not flags_of('all', 'clean', *where[lb['orig_id']])[0]:
            r['n0'] = r.get('n0', 0) + 1
            r['hit0'] = r.get('hit0', 0) + flags_of('all', 'corrupt', lb['shard'], lb['index'] - 1)[0]
        for mode in ('all', 'default'):
            f = flags_of(mode, 'corrupt', lb['shard'], lb['index'] - 1)
            for gname, hit in (('parse_error', f[0]), ('undefined_name', f[1]), ('either', f[0] or f[1])):
                r[(mode, gname)] = r.get((mode, gname), 0) + hit

    # 2. the default plan
    cfg_path, cfg = load_config(a, checkout)
    job = {k: cfg[k] for k in ('shard', 'embed', 'gates', 'index', 'score') if k in cfg}
    run_labels, run_corr = labels, corr
    if a.run_per_class:
        # a subset of the variants, written as shards of their own (same names: the labels' shard keys)
        sub = f'{out}/run-variants'
        os.makedirs(sub)
        seen, keep = {}, []
        for lb in labels:
            k = (lb['lang'], lb['class'])
            seen[k] = seen.get(k, 0) + 1
            if seen[k] <= a.run_per_class:
                keep.append(lb)
        want = {}
        for lb in keep:
            want.setdefault(lb['shard'], set()).add(lb['index'])
        run_labels, run_corr = [], []
        for sh in corr:
            b = os.path.basename(sh)
            recs = [r for i, r in enumerate(read_shard(sh), 1) if i in want.get(b, ())]
            idx = sorted(want.get(b, ()))
            newpos = {old: new for new, old in enumerate(idx, 1)}
            with open(f'{sub}/{b}', 'wb') as fh:
                with zstandard.ZstdCompressor(level=3).stream_writer(fh) as wz:
                    for r in recs:
                        wz.write((json.dumps(r, ensure_ascii=False) + '\n').encode('utf-8'))
            run_corr.append(f'{sub}/{b}')
            run_labels += [dict(lb, index=newpos[lb['index']]) for lb in keep if lb['shard'] == b]
    job.update({'inputs': clean + run_corr, 'workdir': f'{out}/run', 'threads': int(a.threads),
                'prune': dict(cfg.get('prune', {}), write_removed=True, fsync=False),
                'corrupt': {'enabled': False}, 'analyze': {'enabled': False}})
    uses_auto = 'auto' in job.get('score', {}).get('metrics', [])
    if uses_auto:
        # `auto` takes the job's own analysis (sciprune's corruptions of the inputs): keep the
        # config's corrupt and analyze sections, as a user of the default config gets them
        job['corrupt'] = {k: v for k, v in cfg.get('corrupt', {}).items()}
        job['analyze'] = {k: v for k, v in cfg.get('analyze', {}).items() if k != 'corrupted'}
    json.dump(job, open(f'{out}/job.json', 'w'), indent=1)
    times['run (default plan)'] = run([binp, 'run', '--config', f'{out}/job.json'])
    w = f'{out}/run'
    plan = json.load(open(f'{w}/score/plan.json'))
    V = len(plan['variants'])
    names = [v['name'] for v in plan['variants']]
    masks = {}

    def mask(shard):
        if shard not in masks:
            m = np.load(f'{w}/score/{shard}.prune.npy')
            masks[shard] = np.unpackbits(m, axis=1, bitorder='little')[:, :V]
        return masks[shard]
    run_rec, run_kind = {}, {}
    for lb in run_labels:
        m = mask(lb['shard'])[lb['index'] - 1]
        for key in ((lb['lang'], lb['class']), (lb['lang'], '**all syntax**')):
            r = run_rec.setdefault(key, np.zeros(V + 1))
            r[:V] += m; r[V] += 1
    # the removed/ folder agrees with the masks (a check of the reading)
    gv = names.index(next(n for n in names if n.startswith('gate+'))) if any(n.startswith('gate+') for n in names) else 0
    removed_ids = set()
    rdir = f'{w}/out/{names[gv]}/removed'
    if os.path.isdir(rdir):
        for f in os.listdir(rdir):
            for r in read_shard(f'{rdir}/{f}'):
                removed_ids.add(r['id'])
    n_mask = sum(int(mask(os.path.basename(s))[:, gv].sum()) for s in clean + run_corr)
    clean_removed = {}
    rg = gate_values(w, clean)
    for lang in LANGS + ('all',):
        rs = [r for r in crecs if lang == 'all' or r[3] == lang]
        pr = np.zeros(V)
        ng = 0
        for r in rs:
            pr += mask(r[0])[r[1]]
            ng += (rg[r[0]][0][r[1]] > 0) or (rg[r[0]][1][r[1]] > 0)
        clean_removed[lang] = (len(rs), pr, ng)

    # report
    L = []
    P = L.append
    comp = {}
    for p in man['packages']:
        comp.setdefault(p['lang'], []).append(p)
    P(f'### {label}: `{binp}`\n')
    P(f'Run {time.strftime("%Y-%m-%d %H:%M")} by `bench/gates_devcorpus.py` ({time.time() - t_start:.0f} s); '
      f'eval half of the dev corpus, {len(labels)} independent corruptions ({idir}), config '
      f'`{os.path.relpath(cfg_path, checkout) if cfg_path.startswith(checkout) else cfg_path}` of that checkout.\n')
    P('**Clean files flagged** (eval half; "accepted": the files the real tool accepts unmodified; '
      'gates "all" = `--parse-error-langs all --undefined-name-langs all`, "default" = the binary\'s '
      'defaults)\n')
    P('| language | gates | files | accepted | parse_error | parse_error, accepted | undefined_name | '
      'undefined_name, accepted | either | either, accepted | undefined_name abstained |')
    P('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for lang in LANGS:
        r = clean_rows[lang]; n, na = r['files'], r['accepted']
        for mode in ('all', 'default'):
            ab = r[(mode, 'abstained')]
            P(f'| {lang} | {mode} | {n} | {na} | ' + ' | '.join(
                f'{pct(r[(mode, g)][0], n)} | {pct(r[(mode, g)][1], na)}'
                for g in ('parse_error', 'undefined_name', 'either')) +
              f' | {"off" if ab is None else pct(ab, n)} |')
    P('')
    P('**Gate recall per error class** (share of the validated variants a gate flags; gates alone; '
      'last column: parse_error recall on the variants whose unmodified original it does not flag '
      'with every language on, i.e. what the edit itself triggers; an undefined_name recall is mostly the '
      'original\'s own flag, the classes are syntax errors)\n')
    P('| lang | class | n | parse_error all | undefined_name all | either, all | either, default | parse_error all, original not flagged (n) |')
    P('|---|---|---:|---:|---:|---:|---:|---:|')
    for (lang, cls), r in sorted(rec.items(), key=lambda x: (LANGS.index(x[0][0]), x[0][1])):
        n = r['n']
        P(f'| {lang} | {cls} | {n} | {pct(r[("all","parse_error")], n)} | {pct(r[("all","undefined_name")], n)} | '
          f'{pct(r[("all","either")], n)} | {pct(r[("default","either")], n)} | {pct(r.get("hit0", 0), r.get("n0", 0))} ({r.get("n0", 0)}) |')
    for lang in LANGS:
        rs = [r for (l, _), r in rec.items() if l == lang]
        n = sum(r['n'] for r in rs)
        if n:
            P(f'| {lang} | **all syntax** | {n} | {pct(sum(r[("all","parse_error")] for r in rs), n)} | '
              f'{pct(sum(r[("all","undefined_name")] for r in rs), n)} | {pct(sum(r[("all","either")] for r in rs), n)} | '
              f'{pct(sum(r[("default","either")] for r in rs), n)} | '
              f'{pct(sum(r.get("hit0", 0) for r in rs), sum(r.get("n0", 0) for r in rs))} ({sum(r.get("n0", 0) for r in rs)}) |')
    P('')
    P(f'**Default plan** (`sciprune run`, metrics {", ".join(names)}; eval clean + the variants, '
      f'{clean_removed["all"][0]} clean + {len(run_labels)} variants): syntax recall\n')
    if uses_auto:
        av = next((v for v in plan['variants'] if v['name'].startswith('auto')), {})
        P('`auto` (the job\'s own corruption analysis, corrupt + analyze sections of the config) resolved to: `'
          + json.dumps({k: v for k, v in av.items() if k != 'name'})[:400] + '`\n')
    P('| lang | class | n | ' + ' | '.join(names) + ' |')
    P('|---|---|---:|' + '---:|' * V)
    for (lang, cls), r in sorted(run_rec.items(), key=lambda x: (LANGS.index(x[0][0]), x[0][1].startswith('**'), x[0][1])):
        P(f'| {lang} | {cls} | {int(r[V])} | ' + ' | '.join(pct(r[v], r[V]) for v in range(V)) + ' |')
    P('')
    P('Clean files removed (share of the clean files of the language; "gated": flagged by a gate as '
      'the run\'s config has them):\n')
    P('| lang | clean files | gated | ' + ' | '.join(names) + ' |')
    P('|---|---:|---:|' + '---:|' * V)
    for lang in LANGS + ('all',):
        n, pr, ng = clean_removed[lang]
        P(f'| {lang} | {n} | {pct(ng, n)} | ' + ' | '.join(pct(pr[v], n) for v in range(V)) + ' |')
    P('')
    P(f'(check: `{names[gv]}` removed/ holds {len(removed_ids)} records, its prune mask {n_mask}.) '
      f'Stage times: ' + ', '.join(f'{k} {v:.0f} s' for k, v in times.items()) + '.\n')
    text = '\n'.join(L)
    print(text)
    json.dump({'label': label, 'bin': binp,
               'clean': {l: {str(k): v for k, v in r.items()} for l, r in clean_rows.items()},
               'recall': {f'{k[0]}/{k[1]}': {str(kk): vv for kk, vv in v.items()} for k, v in rec.items()},
               'run_recall': {f'{k[0]}/{k[1]}': dict(zip(names + ['n'], map(float, v))) for k, v in run_rec.items()},
               'clean_removed': {l: {'n': v[0], 'gated': int(v[2]), **dict(zip(names, map(float, v[1])))}
                                 for l, v in clean_removed.items()}},
              open(f'{out}/results.json', 'w'), indent=1)

    if a.dump_flagged:
        import random
        fd = f'{out}/flagged'
        os.makedirs(fd, exist_ok=True)
        with open(f'{fd}/index.tsv', 'w') as idx:
            for (gname, lang), rs in sorted(flagged_lists.items()):
                rs = sorted(rs, key=lambda r: r[2])
                random.Random(7).shuffle(rs)
                for k, r in enumerate(rs[:a.dump_flagged]):
                    ext = {'python': 'py', 'javascript': 'js', 'c': 'c'}[lang]
                    fn = f'{gname}-{lang}-{k:02d}.{ext}'
                    open(f'{fd}/{fn}', 'w').write(r[5])
                    j = acc.get(r[2], {})
                    idx.write(f'{fn}\t{r[4]}\t{gname}\t{"accepted" if j.get("accepted") else "rejected: " + j.get("msg", "")}\n')
        print(f'flagged clean files: {fd}/index.tsv', file=sys.stderr)

    if not a.no_write:
        path = os.path.join(HERE, 'gates_results.md')
        cur = open(path).read()
        head = '## Independent development corpus (`bench/gates_devcorpus.py`)'
        if head not in cur:
            cur = cur.rstrip('\n') + f'\n\n{head}\n\n<!-- devcorpus:intro -->\n<!-- /devcorpus:intro -->\n'
        b, e = f'<!-- devcorpus:{label} -->', f'<!-- /devcorpus:{label} -->'
        block = f'{b}\n{text}\n{e}'
        if b in cur:
            cur = re.sub(re.escape(b) + '.*?' + re.escape(e), lambda _: block, cur, flags=re.S)
        else:
            cur = cur.rstrip('\n') + f'\n\n{block}\n'
        open(path, 'w').write(cur)


if __name__ == '__main__':
    main()
