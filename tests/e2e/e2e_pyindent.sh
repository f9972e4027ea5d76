#!/usr/bin/env bash
# e2e_pyindent.sh - the python indentation check (lang/pyindent.c) through `sciprune gates
# --file`: agreement with CPython's compile() on generated and real files with random
# indentation mutations (tests/e2e/pyindent_check.py), and no crash on pathological input.
set -euo pipefail
bin=${SCIPRUNE_BIN:-build/cli/sciprune}
root=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

"$py" "$root/tests/e2e/pyindent_check.py" "$bin" "$tmp/agree" --mutations 3 --real-files 20 \
    --gen-files 60 --seed "${PYINDENT_SEED:-1}"

# pathological input (kept small: tree-sitter-python, not the check, is slow on 3 MB of junk
# and quadratic on backslash lines): one JSON line each, and the errors CPython finds
"$py" - "$tmp" <<'PY'
import os, random, sys
d = sys.argv[1]
rng = random.Random(7)
files = {
    "junk.py": bytes(rng.choice([b for b in range(1, 256)]) for _ in range(300_000)),
    # 2800 levels: 3.9 MB, under the parse guard's 4 MiB (sciprune.h, "the parse guard")
    "deep.py": "".join(" " * i + "if x:\n" for i in range(2800)).encode(),
    "wide.py": b"x = 1\n" + b" " * 1_000_000 + b"y = 2",  # under the guard's 1 MiB line
    "backslashes.py": b"\\\n" * 3000,  # tree-sitter-python is quadratic here
    "quotes.py": b"'''" + b"\n  x" * 30000,
    "crs.py": b"if x:\r  y\r z\r",
    "tabs.py": b"if x:\n" + b"\t" * 100000 + b"y\n",
    "nonl.py": b"if x:\n    y = 1\n  z",
    "empty.py": b"",
}
for k, v in files.items():
    with open(os.path.join(d, k), "wb") as f:
        f.write(v)
PY
out=$("$bin" gates --lang python --file "$tmp/junk.py" --file "$tmp/deep.py" --file "$tmp/wide.py" \
      --file "$tmp/backslashes.py" --file "$tmp/quotes.py" --file "$tmp/crs.py" \
      --file "$tmp/tabs.py" --file "$tmp/nonl.py" --file "$tmp/empty.py")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 9 ] || { echo "FAIL: not one line per file"; exit 1; }
want() { # file, python expression on r (the file's JSON)
    printf '%s\n' "$out" | "$py" -c '
import json, sys
f, expr = sys.argv[1], sys.argv[2]
for l in sys.stdin:
    r = json.loads(l)
    if r["file"].endswith("/" + f):
        if not eval(expr):
            print("FAIL:", f, expr, l); sys.exit(1)
        sys.exit(0)
print("FAIL: no line for", f); sys.exit(1)' "$1" "$2"
}
want deep.py 'r["indent_errors"] >= 1 and r["indent_error"] == "too many levels of indentation"'
want wide.py 'r["indent_line"] == 2 and r["indent_error"] == "unexpected indent"'
want crs.py 'r["indent_line"] == 3 and r["indent_error"].startswith("unindent does not match")'
want tabs.py 'r["indent_errors"] == 0'
want nonl.py 'r["indent_line"] == 3'
want empty.py 'r["parse_errors"] == 0'
# the corruption engine: every bad-indent / break-indent variant is an error CPython reports,
# each indentation error class is made, and `corrupt --verify` (the validator) accepts them
mkdir -p "$tmp/src"
for d in "$root"/tests/cases/corrupt/python-* "$root"/tests/cases/gates/python-*; do
    for f in "$d"/input.py; do [ -f "$f" ] && cp "$f" "$tmp/src/$(basename "$d").py"; done
done
if [ -d /usr/lib/python3.11 ]; then cp /usr/lib/python3.11/*.py "$tmp/src/"; fi
"$bin" ingest "$tmp/src" --out "$tmp/shards" --docs-per-shard 100 2>/dev/null
"$bin" corrupt --in "$tmp"/shards/*.jsonl.zst --out "$tmp/c" --types bad-indent,break-indent \
    --langs python --per-type 120 --seed 3 >"$tmp/table.txt" 2>/dev/null
"$bin" corrupt --verify "$tmp"/c/corrupt-python.jsonl.zst >"$tmp/verify.txt"
grep -q ' 0 bad$' "$tmp/verify.txt" || { cat "$tmp/verify.txt"; exit 1; }
zstdcat "$tmp"/c/corrupt-python.jsonl.zst | "$py" -c '
import collections, json, sys, warnings
c, n, ind = collections.Counter(), 0, 0
for l in sys.stdin:
    r = json.loads(l)
    n += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(r["content"], r["id"], "exec")
            print("FAIL: CPython accepts the variant", r["id"], r["edit"]); sys.exit(1)
        except IndentationError as e:
            ind += 1
            c[type(e).__name__ + ": " + e.msg.split(" after ")[0]] += 1
        except SyntaxError as e:
            c["SyntaxError"] += 1
print("corrupt: %d variants, %d IndentationError/TabError: %s" % (n, ind, dict(c)))
need = ["IndentationError: unexpected indent", "IndentationError: expected an indented block",
        "IndentationError: unindent does not match any outer indentation level",
        "TabError: inconsistent use of tabs and spaces in indentation"]
if n < 100 or ind < 0.9 * n or any(c[k] == 0 for k in need):
    print("FAIL: not every indentation error class made"); sys.exit(1)
'
echo "e2e_pyindent: ok"
