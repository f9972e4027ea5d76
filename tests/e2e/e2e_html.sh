#!/usr/bin/env bash
# e2e: `sciprune run` writes W/report.html (scripts/report_html.py) and headless Chromium opens
# it: a screenshot is taken and the DOM Chromium built is checked for the sections (recommendation
# with lift, variants with pruned examples by reason, clusters with nearest/farthest files and
# named features, corruption probes with <del>/<ins>), each with non-empty examples. The job is
# e2e_run's: the generated corpus with injected Python corruptions among the inputs (so the
# gates prune something) plus its own corrupt + analyze sections.
# Skips (77) only when Debian's chromium is missing (scripts/setup.sh installs it).
# SCIPRUNE_HTML_SHOT=FILE keeps the screenshot.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
CHROME=$(command -v chromium || true)
[ -n "$CHROME" ] || { echo "SKIP: chromium is not installed (scripts/setup.sh installs it)"; exit 77; }
T=$(mktemp -d /tmp/sciprune-e2e-html.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset SCIPRUNE_NO_HTML
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/src" > /dev/null || fail "make_corpus"
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 150 2>/dev/null
"$S" corrupt --in "$T"/shards/*.zst --out "$T/injected" --langs python --per-type 3 --seed 7 > /dev/null 2>&1
cat > "$T/job.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst", "injected/corrupt-*.jsonl.zst"],
 "workdir": "w", "threads": 2,
 "index": {"k": 8},
 "score": {"metrics": ["gate+distance", "combined", "size"], "ratios": [0.2], "alphas": [0.2]},
 "prune": {"fsync": false},
 "corrupt": {"per_type": 2, "langs": ["python"], "seed": 11},
 "analyze": {"ratios": [0.2], "alphas": [0.2]}}
JSON
"$S" run --config "$T/job.json" > "$T/out.txt" 2> "$T/err.txt" || { cat "$T/err.txt"; fail "run failed"; }
head -1 "$T/out.txt" | grep -q "^report: .*/w/report.html" || { cat "$T/out.txt"; fail "the run summary does not name report.html first"; }
[ -s "$T/w/report.html" ] || fail "no report.html"
# self-contained: no network reference, no script
if grep -Eiq '<script|<link|src="http|href="http|@import' "$T/w/report.html"; then fail "report.html is not self-contained"; fi

# headless Chromium: the DOM it builds, and a screenshot
HOME=$T/home XDG_CONFIG_HOME=$T/home timeout 180 "$CHROME" --headless --no-sandbox --disable-gpu \
  --user-data-dir="$T/profile" --dump-dom "file://$T/w/report.html" > "$T/dom.html" 2> "$T/chrome1.txt" \
  || { tail -5 "$T/chrome1.txt"; fail "chromium --dump-dom failed"; }
HOME=$T/home XDG_CONFIG_HOME=$T/home timeout 180 "$CHROME" --headless --no-sandbox --disable-gpu \
  --user-data-dir="$T/profile" --hide-scrollbars --window-size=1300,2400 \
  --screenshot="$T/shot.png" "file://$T/w/report.html" > /dev/null 2> "$T/chrome2.txt" \
  || { tail -5 "$T/chrome2.txt"; fail "chromium --screenshot failed"; }
[ -n "${SCIPRUNE_HTML_SHOT:-}" ] && cp "$T/shot.png" "$SCIPRUNE_HTML_SHOT"

$PY - "$T" <<'PY'
import html.parser, json, os, struct, sys, zlib
t = sys.argv[1]
# the screenshot: a PNG of the requested size whose pixels are not all one colour
png = open(f"{t}/shot.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert (w, h) == (1300, 2400), (w, h)
idat, i = b"", 8
while i < len(png):
    n, typ = struct.unpack(">I4s", png[i:i + 8])
    if typ == b"IDAT":
        idat += png[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat)
assert len(set(raw[j] for j in range(0, len(raw), 97))) > 8, "screenshot is blank"

class Dom(html.parser.HTMLParser):
    """Element tree of Chromium's --dump-dom: (tag, attrs, children, text)."""
    def __init__(self):
        super().__init__()
        self.root = ("root", {}, [], [])
        self.stack = [self.root]
    def handle_starttag(self, tag, attrs):
        node = (tag, dict(attrs), [], [])
        self.stack[-1][2].append(node)
        if tag not in ("br", "meta", "img", "hr", "input", "link"):
            self.stack.append(node)
    def handle_endtag(self, tag):
        for k in range(len(self.stack) - 1, 0, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break
    def handle_data(self, d):
        self.stack[-1][3].append(d)

def walk(n):
    yield n
    for c in n[2]:
        yield from walk(c)
def text(n):
    return "".join(n[3]) + "".join(text(c) for c in n[2])
def find(n, pred):
    return [x for x in walk(n) if pred(x)]
def cls(name):
    return lambda x: name in x[1].get("class", "").split()

d = Dom()
d.feed(open(f"{t}/dom.html", encoding="utf-8").read())
rep = json.load(open(f"{t}/w/report.json"))
an = json.load(open(f"{t}/w/analyze/report.json"))
sec = {x[1]["id"]: x for x in find(d.root, lambda x: x[0] == "section" and "id" in x[1])}
for s in ("recommendation", "variants", "clusters", "probes"):
    assert s in sec, f"section #{s} missing: {sorted(sec)}"

# the recommendation: the analysis' pick in a sentence, recall beside originals and lift
rec = an["recommendation"]
r = sec["recommendation"]
p = find(r, cls("rec"))
assert p and rec["name"] in text(p[0]) and "lift" in text(p[0]) and len(text(p[0])) > 120, text(p[0]) if p else "no .rec"
heads = [text(x).strip() for x in find(r, lambda x: x[0] == "th")]
assert {"recall", "originals", "lift"} <= set(heads), heads
rows = [x for x in find(r, lambda x: x[0] == "tr") if find(x, lambda y: y[0] == "td")]
assert len(rows) >= len(rec["candidates"]), (len(rows), rec["candidates"])

# variants: one block per variant, examples by reason, each with a path, a reason and code
vs = find(sec["variants"], cls("variant"))
assert [x[1]["id"] for x in vs] == ["variant-" + v["name"] for v in rep["variants"]], [x[1]["id"] for x in vs]
reasons = {}
for v in vs:
    for ex in find(v, cls("example")):
        why = find(ex, cls("why"))
        pre = find(ex, lambda x: x[0] == "pre")
        link = find(ex, lambda x: x[0] == "a" and x[1].get("href", "").startswith("report/files/"))
        assert why and text(why[0]).strip() and pre and text(pre[0]).strip() and link, ex[1]
        assert os.path.getsize(os.path.join(t, "w", link[0][1]["href"])) > 0
        reasons.setdefault(ex[1]["data-reason"], []).append(text(why[0]))
assert reasons.get("gate-parse_error"), sorted(reasons)
assert reasons.get("small-cluster") and reasons.get("far"), sorted(reasons)
assert all("offending line" in s for s in reasons["gate-parse_error"]), reasons["gate-parse_error"]
assert all("distance" in s for s in reasons["far"]), reasons["far"]
if reasons.get("gate-undefined_name"):
    assert all("undefined names:" in s for s in reasons["gate-undefined_name"])
tables = [text(x) for v in vs for x in find(v, lambda y: y[0] == "table")]
assert all(any("python" in tb for tb in tables[i:]) for i in range(1)), "no language table"

# clusters: each with a size, 3 nearest and 3 farthest files; features named where possible
cs = find(sec["clusters"], cls("cluster"))
assert len(cs) == len(rep["clusters"]), (len(cs), len(rep["clusters"]))
named = 0
for c in cs:
    hs = [text(x) for x in find(c, lambda x: x[0] == "h4")]
    assert any("nearest" in h for h in hs) and any("farthest" in h for h in hs), hs
    exs = find(c, cls("example"))
    size = int(text(find(c, lambda x: x[0] == "h3")[0]).split(":")[1].split()[0])
    assert len(exs) == 2 * min(3, size), (c[1]["id"], len(exs), size)
    named += sum(1 for x in find(c, lambda x: x[0] == "code") if text(x).startswith(("token ", "keyword ", "operator ")))
assert named >= 3, f"only {named} features named over all clusters"

# probes: before/after with the edit marked, and where each landed
ps = find(sec["probes"], cls("probe"))
types = {x[1]["data-type"] for x in ps}
assert len(types) >= 8, types
for x in ps:
    marks = find(x, lambda y: y[0] in ("del", "ins"))
    assert marks, x[1]
    h4 = " ".join(text(y) for y in find(x, lambda y: y[0] == "h4"))
    assert "original: cluster" in h4 and "corrupted: cluster" in h4 and "percentile" in h4, h4
print(f"report.html: {len(vs)} variants, examples by reason "
      + ", ".join(f"{k} {len(v)}" for k, v in sorted(reasons.items()))
      + f"; {len(cs)} clusters ({named} named features); {len(ps)} probes of {len(types)} types; "
      f"screenshot {w}x{h}, {len(png)} bytes")
PY

# `sciprune report` regenerates it; a workdir without a run is an error
rm "$T/w/report.html"
"$S" report --workdir "$T/w" > /dev/null || fail "sciprune report"
[ -s "$T/w/report.html" ] || fail "sciprune report wrote nothing"
mkdir "$T/empty"
if "$S" report --workdir "$T/empty" 2> /dev/null; then fail "report on an empty workdir succeeded"; fi
echo "e2e_html: ok"
