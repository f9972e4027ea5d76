#!/usr/bin/python3
"""devcorpus_select.py - pick the dev-corpus files from the extracted source packages.

usage: devcorpus_select.py DEVSRC CAP

Reads DEVSRC/packages.txt ("<lang> <pkg> <version> <origin>" per line, written by make_devcorpus.sh),
walks DEVSRC/src/<pkg>/, hard-links the chosen files into DEVSRC/tree/<half>/<lang>/<pkg>/<path>
and writes DEVSRC/manifest.json (packages, versions, rules, files per package/half).
Rules in make_devcorpus.sh's header.
"""
import hashlib, json, os, sys

EXT = {'python': ('.py',), 'javascript': ('.js',), 'c': ('.c',)}
MAX_BYTES = 256 * 1024


def minified(b):
    lines = b.split(b'\n')
    return len(b) / max(1, len(lines)) > 300 or max(len(l) for l in lines) > 5000


def half_of(key):
    return 'eval' if hashlib.sha1(key.encode()).digest()[0] & 1 else 'tune'


def main():
    d, cap = sys.argv[1], int(sys.argv[2])
    pkgs = [l.split() for l in open(f'{d}/packages.txt') if l.strip()]
    seen = set()
    man = {'source': 'Debian bookworm source packages (apt-get source --download-only)',
           'rules': {'cap_per_package': cap, 'max_bytes': MAX_BYTES, 'ext': EXT,
                     'skip': '*.min.js, minified js (avg line > 300 B or a line > 5000 B), '
                             'node_modules/, byte-identical duplicates, .git/, .pc/ (quilt)',
                     'split': 'eval if sha1("<pkg>/<path>")[0] is odd else tune'},
           'packages': []}
    for lang, pkg, ver, origin in pkgs:
        root = f'{d}/src/{pkg}'
        cands, local = [], set()
        for dp, dns, fns in os.walk(root):
            dns[:] = sorted(x for x in dns if x not in ('.git', '.pc', 'node_modules'))
            for fn in sorted(fns):
                if not fn.endswith(EXT[lang]) or fn.endswith('.min.js'):
                    continue
                p = os.path.join(dp, fn)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                if os.path.getsize(p) > MAX_BYTES or os.path.getsize(p) == 0:
                    continue
                b = open(p, 'rb').read()
                if lang == 'javascript' and minified(b):
                    continue
                h = hashlib.sha1(b).hexdigest()
                if h in seen or h in local:
                    continue
                local.add(h)
                rel = os.path.relpath(p, root)
                cands.append((hashlib.sha1(f'{pkg}/{rel}'.encode()).hexdigest(), rel, h))
        cands.sort()
        chosen = cands[:cap]
        n = {'tune': 0, 'eval': 0}
        for _, rel, h in chosen:
            seen.add(h)
            half = half_of(f'{pkg}/{rel}')
            dst = f'{d}/tree/{half}/{lang}/{pkg}/{rel}'
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.link(f'{root}/{rel}', dst)
            n[half] += 1
        man['packages'].append({'lang': lang, 'package': pkg, 'version': ver, 'origin': origin,
                                'candidates': len(cands), 'chosen': len(chosen), **n})
        print(f'{lang:10} {pkg:24} {ver:32} candidates {len(cands):5} chosen {len(chosen):4} '
              f'tune {n["tune"]:4} eval {n["eval"]:4}')
    json.dump(man, open(f'{d}/manifest.json', 'w'), indent=1)


if __name__ == '__main__':
    main()
