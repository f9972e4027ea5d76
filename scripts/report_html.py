#!/usr/bin/python3
"""report_html.py W [--sciprune BIN] [--examples N]: W/report.html, one page a person can read.

Format of what it writes (the page and the files it links, all under the workdir W):
  W/report.html           one self-contained HTML page (inline CSS, no script, no network)
                          with sections of fixed ids the e2e test checks:
                            #recommendation  the analysis' one rule in a sentence, and each
                                             candidate's recall beside its originals' recall
                                             (the share of the unmodified originals the same
                                             rule prunes) and the lift (the difference)
                            #variants        per variant (div.variant): counts, bytes,
                                             languages, examples of pruned files by reason
                                             (div.example[data-reason]): gate with the
                                             offending line and the error or undefined names,
                                             small cluster, far from the centroid with the
                                             distance, each with the first lines of code
                            #clusters        per cluster (div.cluster): size, the centroid's
                                             top-weighted hashed dimensions with the features
                                             of the cluster that hash there, the 3 nearest and
                                             3 farthest files
                            #probes          corruption probes (div.probe): original and
                                             corrupted text around the edit (<del>/<ins>),
                                             cluster and distance percentile of both
  W/report/files/*.txt    full texts of every file the page shows (the page links them)

Reads only what the run left in W (report.json, score/plan.json, assign/, gates/, index/,
embed/, analyze/, corrupt/) and the input shards named in W/manifest.json. With --sciprune
(default: build/cli/sciprune next to this script), `sciprune gates --file` explains each gate
example (undefined names, the C syntax finding, CPython's indentation error); for python the
interpreter's own compile() adds the line and message of the first syntax error. Without
W/analyze or W/corrupt the page says so in those sections.
"""
import argparse
import difflib
import glob
import html
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1
HEAD_LINES = 12

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:14px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cfe0f0}nav{margin-top:8px}nav a{color:#fff;margin-right:16px}
main{padding:8px 28px 40px;max-width:1280px}section{background:#fff;border:1px solid #dde2e8;
border-radius:6px;padding:12px 18px;margin:16px 0}h2{margin:4px 0 10px;font-size:19px;color:#1f3b57}
h3{font-size:16px;margin:14px 0 6px}h4{font-size:14px;margin:10px 0 4px;color:#40505f}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #dde2e8;padding:3px 8px;text-align:right}
th{background:#eef2f6}td.l,th.l{text-align:left}pre{background:#f3f5f7;border:1px solid #e1e5ea;
padding:6px 8px;margin:4px 0;overflow-x:auto;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
.example,.probe,.cluster{border-left:4px solid #8aa4bf;padding:2px 10px;margin:10px 0}
.example[data-reason^=gate]{border-color:#c0392b}.example[data-reason=small-cluster]{border-color:#d68910}
.example[data-reason=far]{border-color:#7d3c98}.why{font-weight:600;overflow-wrap:anywhere}.muted{color:#6a7682}
del{background:#f6c6c1;text-decoration:line-through}ins{background:#c9efc9;text-decoration:none}
.bar{display:inline-block;height:10px;vertical-align:middle}.b1{background:#2e86c1}.b2{background:#aab7c4}
.rec{font-size:16px;background:#eaf5ea;border:1px solid #b8dcb8;padding:8px 12px;border-radius:4px}
.cols{display:flex;gap:12px;flex-wrap:wrap}.cols>div{flex:1;min-width:380px}
code{background:#eef1f4;padding:0 3px;border-radius:3px}
mark.bad{background:#fbd9a5;font-weight:600}
"""


def esc(s):
    return html.escape(str(s), quote=True)


# ------------------------------------------------------------------------------- reading W

def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_lines(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE, check=True).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def find_input(w, p):
    for cand in (p, os.path.join(w, p), os.path.join(w, "..", p), os.path.join(w, "..", "..", p)):
        if os.path.exists(cand):
            return cand
    return None


class Corpus:
    """The accepted records of the input shards in W's order, read lazily per shard."""

    def __init__(self, w, shards, text_field, id_field):
        self.w, self.text_field, self.id_field = w, text_field, id_field
        man = load_json(os.path.join(w, "manifest.json")) or {}
        byname = {os.path.basename(i["path"]): i["path"] for i in man.get("inputs", [])}
        self.paths = {s: find_input(w, byname.get(s, s)) for s in shards}
        self.cache = {}

    def record(self, shard, line):
        """(id, text, lang) of 0-based line `line` of `shard`, or None."""
        if shard not in self.cache:
            p = self.paths.get(shard)
            self.cache[shard] = read_lines(p) if p else []
        lines = self.cache[shard]
        if line >= len(lines):
            return None
        try:
            r = json.loads(lines[line])
        except ValueError:
            return None
        text = r.get(self.text_field)
        if not isinstance(text, str):
            return None
        rid = r.get(self.id_field) or r.get("path") or f"{shard}:{line + 1}"
        return str(rid), text, r.get("lang") or lang_of(r.get("path") or str(rid))


EXT = {".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
       ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript", ".tsx": "tsx",
       ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
       ".hh": "cpp", ".hxx": "cpp"}


def lang_of(path):
    return EXT.get(os.path.splitext(path)[1].lower(), "unknown")


# ------------------------------------------------------------------- gate explanations

def gate_explain(binary, text, lang, path, tmpdir):
    """`sciprune gates --file` on the text: dict, or None when the binary is missing."""
    if not binary or not os.access(binary, os.X_OK):
        return None
    src = os.path.join(tmpdir, "gate-src" + (os.path.splitext(path)[1] or ".txt"))
    with open(src, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    cmd = [binary, "gates", "--file", src, "--path", path]
    if lang and lang != "unknown":
        cmd += ["--lang", lang]
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
        return json.loads(out.stdout.decode("utf-8", "replace").splitlines()[0])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def python_error(text):
    """(line, message) of CPython's first syntax error, or None."""
    try:
        compile(text, "<file>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return (e.lineno or 0, f"{type(e).__name__}: {e.msg}")
    except (ValueError, RecursionError, MemoryError) as e:
        return (0, type(e).__name__)
    return None


def gate_reason(gate, ex, text, lang):
    """(line or 0, one-sentence explanation) for a gate example."""
    if gate == "undefined_name":
        names = (ex or {}).get("names") or "?"
        line = 0
        # the first read of the first name in code: strings and comments blanked, offsets kept
        code = STRIP.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for first in [n.strip() for n in names.split(",") if n.strip() not in ("", "?", "...")]:
            m = re.search(r"(?<![\w$.])" + re.escape(first) + r"(?![\w$])", code)
            if m:
                line = code.count("\n", 0, m.start()) + 1
                break
        return line, "undefined names: " + names.replace(",", ", ")
    if ex and ex.get("syntax_reason"):
        off = int(ex.get("syntax_offset") or 0)
        return text.encode("utf-8", "surrogateescape")[:off].count(b"\n") + 1, \
            f"C syntax check: {ex['syntax_reason']}"
    if ex and ex.get("indent_errors"):
        line, msg = int(ex.get("indent_line") or 0), f"CPython indentation rule: {ex.get('indent_error')}"
        pe = python_error(text) if lang == "python" else None
        if pe and pe[0] and pe[0] != line:  # the interpreter names an earlier cause
            msg += f" (line {line}); CPython's compile(): {pe[1]} (line {pe[0]})"
            line = min(line, pe[0]) if line else pe[0]
        return line, msg
    if ex and ex.get("early_errors"):
        return int(ex.get("early_line") or 0), "a redeclaration V8 rejects"
    msg = ""
    if ex:
        msg = f"tree-sitter: {ex.get('error_nodes', 0)} ERROR, {ex.get('missing_nodes', 0)} MISSING nodes"
    if lang == "python":
        pe = python_error(text)
        if pe:
            return pe[0], (msg + "; " if msg else "") + f"CPython: {pe[1]} (line {pe[0]})"
        if ex is not None:
            msg += " (CPython compiles the file: a finding of tree-sitter's grammar only)"
    return 0, msg or "parse errors (no explanation: sciprune binary not found)"


# ---------------------------------------------------------------- the hash embedder's features

def mix2(a, b):
    k = (a ^ ((b + 0x9E3779B97F4A7C15 + ((a << 6) & M64) + (a >> 2)) & M64)) & M64
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    k ^= k >> 33
    return k


def subtokens(word):
    """embed/hash.c's add_ident: sub-tokens at separators, lower->Upper, UPPER->Upper+lower,
    letter<->digit; lower-cased."""
    def cls(c):
        if "a" <= c <= "z":
            return 1
        if "A" <= c <= "Z":
            return 2
        if "0" <= c <= "9":
            return 3
        return 1 if ord(c) >= 0x80 else 0
    out, buf, prev = [], [], 0
    n = len(word)
    for i in range(n + 1):
        c = cls(word[i]) if i < n else 0
        boundary = c == 0
        if not boundary and prev != 0:
            if c == 2 and prev == 1:
                boundary = True
            elif c == 2 and prev == 2 and i + 1 < n and cls(word[i + 1]) == 1 and ord(word[i + 1]) < 0x80:
                boundary = True
            elif (c == 3) != (prev == 3):
                boundary = True
        if boundary and buf:
            out.append("".join(buf)[:48])
            buf = []
        if c:
            buf.append(word[i].lower())
        prev = c
    return out


STRIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|/\*[\s\S]*?\*/|//[^\n]*|#[^\n]*'
                   r'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:\\.|[^`\\])*`')
WORD = re.compile(r"[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*")
PUNCT = re.compile(r"[^\w\s$\"'`#]+")


def anon_types(lang):
    """The grammar's anonymous node types (keywords, operators, punctuation), from the
    grammar package's node-types.json; empty when it cannot be found."""
    sub = {"typescript": "tree-sitter-typescript/typescript", "tsx": "tree-sitter-typescript/tsx"}
    d = sub.get(lang, "tree-sitter-" + lang)
    for root in (os.path.join(HERE, "..", "node_modules"),):
        p = os.path.join(root, d, "src", "node-types.json")
        nt = load_json(p)
        if nt:
            out = set()
            def walk(o):
                if isinstance(o, dict):
                    if o.get("named") is False and isinstance(o.get("type"), str):
                        out.add(o["type"])
                    for v in o.values():
                        walk(v)
                elif isinstance(o, list):
                    for v in o:
                        walk(v)
            walk(nt)
            return out
    return set()


class Features:
    """Maps the hash embedder's features back to names where that can be done: identifier
    sub-tokens and keywords/operators (anonymous node types) are hashed from their text, so
    the report re-hashes the tokens it sees in a cluster's files and finds their bucket and
    sign; the literal-class and ERROR features are fixed. AST pairs and paths hash node types
    of the tree, which this page does not rebuild: a bucket they dominate stays unnamed."""

    def __init__(self, w):
        self.ok = False
        emb = load_json(os.path.join(w, "embed", "embedder.json")) or {}
        if emb.get("backend") != "hash":
            self.why = f"embedder {emb.get('backend', '?')}: its dimensions are not hashed features"
            return
        try:
            import xxhash
        except ImportError:
            self.why = "python3-xxhash is missing: cannot re-hash the features"
            return
        self.h = lambda s, seed: xxhash.xxh3_64_intdigest(s.encode("utf-8", "surrogateescape"), seed=seed)
        hs = emb.get("hash", {})
        seed = int(hs.get("seed", 0))
        self.dim = int(emb.get("dim", 256))
        self.fam = {n: self.h(n, seed) for n in ("ident", "kw", "lit", "error")}
        idf = hs.get("idf", {})
        self.idf, self.mask = None, 0
        if idf.get("enabled") and idf.get("fitted") and os.path.exists(os.path.join(w, "embed", idf.get("file", "idf.npy"))):
            self.idf = np.load(os.path.join(w, "embed", idf.get("file", "idf.npy")))
            self.mask = (1 << int(idf.get("bits", 20))) - 1
        self.anon = {}
        self.cache, self.wcache = {}, {}
        self.ok = True

    def bucket(self, key):
        return ((key >> 32) * self.dim) >> 32, (-1 if key & (1 << 31) else 1)

    def weight(self, key):
        if self.idf is None:
            return 1.0
        w = self.wcache.get(key)
        if w is None:
            w = self.wcache[key] = float(self.idf[key & self.mask])
        return w

    def bag(self, text, lang):
        """{(label, key): tf} of the named features of one text (approximate: a regex
        tokenizer, not the tree)."""
        if lang not in self.anon:
            self.anon[lang] = anon_types(lang)
        anon = self.anon[lang]
        code = STRIP.sub(" ", text[:100000])
        words, bag = {}, {}
        for w in WORD.findall(code):
            words[w] = words.get(w, 0) + 1
        for p in PUNCT.findall(code):
            if p in anon:
                words[p] = words.get(p, 0) + 1
        for w, n in words.items():
            for k in self.keys(w, w in anon):
                bag[k] = bag.get(k, 0) + n
        return bag

    def keys(self, w, is_anon):
        """The (label, key) features of one word (cached: words repeat across files)."""
        ck = (w, is_anon)
        got = self.cache.get(ck)
        if got is None:
            if is_anon:
                kind = "keyword " if w[:1].isalpha() else "operator "
                got = [(kind + w, mix2(self.fam["kw"], self.h(w, 2)))]
            else:
                got = [("token " + t, mix2(self.fam["ident"], self.h(t, 0))) for t in subtokens(w)]
            self.cache[ck] = got
        return got


def cluster_features(feat, centroids, members, corpus_sample, n_dims=5, per_dim=3):
    """[(dim, centroid weight minus the corpus mean, [feature labels])] for one cluster."""
    def mean_contrib(bags):
        acc = {}
        for bag in bags:
            for (label, key), tf in bag.items():
                acc[(label, key)] = acc.get((label, key), 0.0) + np.log1p(tf) * feat.weight(key)
        return {k: v / max(1, len(bags)) for k, v in acc.items()}
    mc = mean_contrib(members)
    base = mean_contrib(corpus_sample)
    by_dim = {}
    for (label, key), v in mc.items():
        b, s = feat.bucket(key)
        by_dim.setdefault((b, s), []).append((v - base.get((label, key), 0.0), label))
    return mc, by_dim


# ------------------------------------------------------------------------------ rendering

def head(text, n=HEAD_LINES, mark=0):
    lines = text.split("\n")
    if mark > n:  # show the offending line too
        lo = max(0, mark - 4)
        shown = [(i + 1, lines[i]) for i in range(min(4, len(lines)))] + [None] + \
                [(i + 1, lines[i]) for i in range(lo, min(len(lines), mark + 3))]
    else:
        shown = [(i + 1, lines[i]) for i in range(min(n, len(lines)))]
    out = []
    for x in shown:
        if x is None:
            out.append('<span class="muted">   ...</span>')
            continue
        i, l = x
        s = f"{i:4d}  {esc(l[:200])}"
        out.append(f'<mark class="bad">{s}</mark>' if i == mark else s)
    if len(lines) > (shown[-1][0] if shown and shown[-1] else 0):
        out.append(f'<span class="muted">   ... {len(lines)} lines</span>')
    return "<pre>" + "\n".join(out) + "</pre>"


class Files:
    def __init__(self, w):
        self.dir = os.path.join(w, "report", "files")
        os.makedirs(self.dir, exist_ok=True)
        for f in glob.glob(os.path.join(self.dir, "*.txt")):
            os.remove(f)
        self.n = 0

    def link(self, rid, text):
        self.n += 1
        name = f"{self.n:04d}-" + re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(rid))[-60:] + ".txt"
        with open(os.path.join(self.dir, name), "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        return f'<a href="report/files/{esc(name)}">full text</a>'


def ordinal(n):
    if n == 1:
        return ""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')} "


def fmt_bytes(n):
    for u in ("B", "KB", "MB", "GB"):
        if n < 1024 or u == "GB":
            return f"{n:.0f} {u}" if u == "B" else f"{n:.1f} {u}"
        n /= 1024.0


def diff_html(a, b, ctx=2):
    """Both texts around their differing lines, removed text in <del>, added in <ins>."""
    al, bl = a.split("\n"), b.split("\n")
    sm = difflib.SequenceMatcher(None, al, bl, autojunk=False)
    ops = [o for o in sm.get_opcodes() if o[0] != "equal"]
    if not ops:
        return "<pre>(identical)</pre>", "<pre>(identical)</pre>", 0
    left, right = [], []
    first = ops[0]
    lo_a, lo_b = max(0, first[1] - ctx), max(0, first[3] - ctx)
    last = ops[min(len(ops), 3) - 1]
    hi_a, hi_b = min(len(al), last[2] + ctx), min(len(bl), last[4] + ctx)
    sub = difflib.SequenceMatcher(None, al[lo_a:hi_a], bl[lo_b:hi_b], autojunk=False)
    for tag, i1, i2, j1, j2 in sub.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                left.append(f"{lo_a + i1 + k + 1:4d}  {esc(al[lo_a + i1 + k][:160])}")
                right.append(f"{lo_b + j1 + k + 1:4d}  {esc(bl[lo_b + j1 + k][:160])}")
            continue
        A, B = al[lo_a + i1:lo_a + i2], bl[lo_b + j1:lo_b + j2]
        if tag == "replace" and len(A) == len(B):
            for k in range(len(A)):
                x, y = A[k][:160], B[k][:160]
                cs = difflib.SequenceMatcher(None, x, y, autojunk=False)
                lx, ly = [], []
                for t, p1, p2, q1, q2 in cs.get_opcodes():
                    if t == "equal":
                        lx.append(esc(x[p1:p2])); ly.append(esc(y[q1:q2]))
                    else:
                        if p2 > p1: lx.append(f"<del>{esc(x[p1:p2])}</del>")
                        if q2 > q1: ly.append(f"<ins>{esc(y[q1:q2])}</ins>")
                left.append(f"{lo_a + i1 + k + 1:4d}  " + "".join(lx))
                right.append(f"{lo_b + j1 + k + 1:4d}  " + "".join(ly))
            continue
        for k, l in enumerate(A):
            left.append(f"{lo_a + i1 + k + 1:4d}  <del>{esc(l[:160]) or ' '}</del>")
        for k, l in enumerate(B):
            right.append(f"{lo_b + j1 + k + 1:4d}  <ins>{esc(l[:160]) or ' '}</ins>")
    return "<pre>" + "\n".join(left) + "</pre>", "<pre>" + "\n".join(right) + "</pre>", len(ops)


RULES = {
    "size": "prune whole clusters, smallest first (the last one partly, farthest files first)",
    "distance": "prune the files farthest from their cluster's centroid, over the whole corpus",
    "distance-pc": "prune about the same share of every cluster: the files farthest from their own centroid",
    "combined": "prune a share alpha of the budget by cluster size (smallest clusters first), the rest by distance to the centroid",
    "combined-pc": "prune a share alpha of the budget by cluster size, the rest by within-cluster distance percentile",
    "random": "prune files at random (a baseline)",
    "length": "prune the longest files first (a baseline)",
}


def rule_sentence(name, alpha=None):
    base = name.split("-a")[0] if name.startswith("combined") else name
    if base.startswith("gate+"):
        fill = base[5:]
        s = ("first prune every file a trusted quality gate flags (a parse error, or a name read "
             "but bound nowhere in the file), then fill the budget this way: " + RULES.get(fill, fill))
    else:
        s = RULES.get(base, base)
    if alpha is not None and "combined" in base:
        s = s.replace("alpha", f"α = {alpha:g}")
    return s[0].upper() + s[1:] + "."


# --------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--sciprune", default=os.path.join(HERE, "..", "build", "cli", "sciprune"))
    ap.add_argument("--examples", type=int, default=3, help="examples per variant and reason")
    ap.add_argument("--probes", type=int, default=2, help="probes shown per corruption type")
    a = ap.parse_args()
    w = a.workdir
    rep = load_json(os.path.join(w, "report.json"))
    plan = load_json(os.path.join(w, "score", "plan.json"))
    if not rep or not plan:
        sys.exit(f"report_html: {w} has no report.json / score/plan.json: run the job first")
    man = load_json(os.path.join(w, "manifest.json")) or {}
    cfg = man.get("config")
    if isinstance(cfg, str):  # the manifest keeps the stage sections as one JSON string
        try:
            cfg = json.loads(cfg)
        except ValueError:
            cfg = {}
    cfg = cfg if isinstance(cfg, dict) else {}
    ing = cfg.get("shard") if isinstance(cfg.get("shard"), dict) else {}
    text_field = ing.get("text_field", "content")
    id_field = ing.get("id_field", "id")
    shards = [s["name"] for s in plan["shards"]]
    rows = [int(s["rows"]) for s in plan["shards"]]
    corpus = Corpus(w, shards, text_field, id_field)
    files = Files(w)
    tmpdir = os.path.join(w, "report")

    # per-row arrays over the whole corpus, in shard order
    def cat(fmt, dtype, fill=0):
        parts = []
        for s, n in zip(shards, rows):
            p = os.path.join(w, fmt.format(s))
            parts.append(np.load(p) if os.path.exists(p) else np.full(n, fill, dtype))
        return np.concatenate(parts) if parts else np.zeros(0, dtype)
    cluster = cat("assign/{}.cluster.npy", np.int32, -1).astype(np.int64)
    dist = cat("assign/{}.dist.npy", np.float32, np.nan).astype(np.float64)
    pe = cat("gates/{}.parse_error.npy", np.float32)
    un = cat("gates/{}.undefined_name.npy", np.float32)
    masks = [np.load(os.path.join(w, "score", f"{s}.prune.npy")) for s in shards]
    mask = np.concatenate(masks) if masks else np.zeros((0, 1), np.uint8)
    where = [(si, ln) for si, n in enumerate(rows) for ln in range(n)]
    sizes = {c["id"]: c["size"] for c in rep.get("clusters", [])}
    size_rank = {cid: r for r, cid in enumerate(sorted(sizes, key=lambda c: (sizes[c], c)))}

    def pct_in_cluster(c, d):
        """Share of the cluster's clean files at most d from its centroid, in %."""
        sel = dist[cluster == c]
        return 100.0 * float(np.mean(sel <= d)) if len(sel) else float("nan")

    out = []
    corp = rep.get("corpus", {})
    title = f"sciprune report: {os.path.normpath(w)}"
    out.append(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
               f"<style>{CSS}</style></head><body>")
    out.append(f"<header><h1>{esc(title)}</h1><p>{corp.get('accepted', 0)} files accepted, "
               f"{corp.get('rejected', 0)} rejected; {corp.get('k', '?')} clusters of "
               f"{corp.get('d', '?')}-dimensional embeddings; {len(plan['variants'])} pruned variants</p>"
               '<nav><a href="#recommendation">recommendation</a><a href="#variants">variants</a>'
               '<a href="#clusters">clusters</a><a href="#probes">corruption probes</a>'
               '<a href="report.md">report.md</a><a href="analyze/report.md">analyze/report.md</a></nav></header><main>')

    # ---------------------------------------------------------------- recommendation
    an = load_json(os.path.join(w, "analyze", "report.json"))
    out.append('<section id="recommendation"><h2>What the analysis recommends</h2>')
    if an and an.get("recommendation", {}).get("name"):
        rec = an["recommendation"]
        cand = rec.get("candidates", {})
        orig = rec.get("candidates_orig_recall", {})
        name = rec["name"]
        lift = rec["mean_recall"] - orig.get(name, 0.0)
        out.append(f'<p class="rec"><b>{esc(name)} at p = {rec["ratio"]:.2f}.</b> '
                   f'{esc(rule_sentence(name, rec.get("alpha")))} On the corruption probes it '
                   f'prunes {100 * rec["mean_recall"]:.0f} % of the corrupted files (mean over the '
                   f'types) while pruning {100 * orig.get(name, 0):.0f} % of their unmodified '
                   f'originals: a lift of {100 * lift:+.0f} points (random: '
                   f'{100 * rec.get("random_mean_recall", 0):.0f} %).</p>')
        out.append(f'<p class="muted">Recall: share of the corrupted variants the rule would prune '
                   f'if they were mixed into the corpus; originals: the same for the clean files '
                   f'they were made from. A recall equal to the originals\' share means the rule '
                   f'prunes the file for what it is, not for the corruption: lift is recall minus '
                   f'originals. {esc(rec.get("baselines_not_recommended", ""))}</p>')
        out.append('<table><tr><th class="l">metric / plan</th><th>recall</th><th>originals</th>'
                   '<th>lift</th><th class="l">recall (blue) vs originals (grey)</th></tr>')
        for k in sorted(cand, key=lambda k: -cand[k]):
            o = orig.get(k, 0.0)
            mark = " <b>(recommended)</b>" if k == name else ""
            out.append(f'<tr><td class="l">{esc(k)}{mark}</td><td>{cand[k]:.3f}</td><td>{o:.3f}</td>'
                       f'<td>{cand[k] - o:+.3f}</td><td class="l"><span class="bar b1" style="width:'
                       f'{200 * cand[k]:.0f}px"></span><br><span class="bar b2" style="width:'
                       f'{200 * o:.0f}px"></span></td></tr>')
        out.append("</table>")
        groups = [g for g in an.get("groups", []) if g.get("lang") == "all"]
        ri = 0
        ratios = an.get("settings", {}).get("ratios", [])
        if rec.get("ratio") in ratios:
            ri = ratios.index(rec["ratio"])
        if groups:
            out.append(f"<h4>Per corruption type, {esc(name)}</h4><table><tr><th class=l>type</th>"
                       "<th class=l>kind</th><th>n</th><th>recall</th><th>originals</th><th>lift</th></tr>")
            for g in groups:
                r = g["recall"].get(name, [None] * (ri + 1))[ri]
                o = g.get("orig_recall", {}).get(name, [None] * (ri + 1))[ri]
                if r is None:
                    continue
                o = o or 0.0
                out.append(f"<tr><td class=l>{esc(g['type'])}</td><td class=l>{esc(g['kind'])}</td>"
                           f"<td>{g['n']}</td><td>{r:.2f}</td><td>{o:.2f}</td><td>{r - o:+.2f}</td></tr>")
            out.append("</table>")
    else:
        out.append("<p>No analysis in this workdir (no corrupt/analyze sections in the job).</p>")
    out.append("</section>")

    # ---------------------------------------------------------------------- variants
    gate_names = {}
    out.append('<section id="variants"><h2>Pruned variants</h2>')
    for v in rep.get("variants", []):
        pv = next((x for x in plan["variants"] if x["name"] == v["name"]), None)
        if pv is None:
            continue
        bit = int(pv["bit"])
        col = mask[:, bit // 8] if mask.ndim == 2 else mask
        pruned_rows = np.nonzero((col >> (bit % 8)) & 1)[0]
        metric = pv.get("metric") or v.get("metric", "")  # plan.json: what auto resolved to
        fill = metric[5:] if metric.startswith("gate+") else metric
        out.append(f'<div class="variant" id="variant-{esc(v["name"])}"><h3>{esc(v["name"])}</h3>')
        au = pv.get("auto") if isinstance(pv.get("auto"), dict) else None
        pick = (f"auto: the analysis' pick, {au.get('resolved', metric)}. " if au else "")
        out.append(f'<p>{esc(pick + rule_sentence(metric, pv.get("alpha")))}</p>')
        out.append(f'<table><tr><th class=l></th><th>files</th><th>bytes</th></tr>'
                   f'<tr><td class=l>kept</td><td>{v["kept"]}</td><td>{fmt_bytes(v["kept_bytes"])}</td></tr>'
                   f'<tr><td class=l>pruned</td><td>{v["pruned"]}</td><td>{fmt_bytes(v["pruned_bytes"])}</td></tr>'
                   f'<tr><td class=l>rejected (bad lines)</td><td>{v.get("rejected", 0)}</td>'
                   f'<td>{fmt_bytes(v.get("rejected_bytes", 0))}</td></tr></table>')
        vi = [x["name"] for x in rep["variants"]].index(v["name"])
        langs = rep.get("languages", [])
        if langs:
            out.append('<table><tr><th class=l>language</th><th>files</th><th>kept</th><th>pruned</th>'
                       '<th>pruned %</th><th>bytes pruned</th></tr>')
            for l in langs:
                pr = l["pruned"][vi]
                out.append(f"<tr><td class=l>{esc(l['lang'])}</td><td>{l['records']}</td><td>{l['kept'][vi]}</td>"
                           f"<td>{pr}</td><td>{100 * pr / max(1, l['records']):.1f}</td>"
                           f"<td>{fmt_bytes(l['pruned_bytes'][vi])}</td></tr>")
            out.append("</table>")
        # reasons for each pruned row
        reasons = {}
        for r in pruned_rows:
            if metric.startswith("gate+") and pe[r] > 0:
                reasons.setdefault("gate-parse_error", []).append(r)
            elif metric.startswith("gate+") and un[r] > 0:
                reasons.setdefault("gate-undefined_name", []).append(r)
            elif fill in ("size",) or (fill.startswith("combined") and sizes.get(int(cluster[r]), 0) <= 0):
                reasons.setdefault("small-cluster", []).append(r)
            elif fill.startswith("combined"):
                # the size share of the budget takes whole smallest clusters: a row whose
                # cluster is pruned whole counts as small-cluster, the others as far
                c = int(cluster[r])
                whole = next((x for x in rep.get("clusters", []) if x["id"] == c), {})
                if whole and whole.get("pruned", [0] * (vi + 1))[vi] >= whole.get("size", 1):
                    reasons.setdefault("small-cluster", []).append(r)
                else:
                    reasons.setdefault("far", []).append(r)
            elif fill.startswith("distance"):
                reasons.setdefault("far", []).append(r)
            else:
                reasons.setdefault(fill or "other", []).append(r)
        order = ["gate-parse_error", "gate-undefined_name", "small-cluster", "far"]
        titles = {"gate-parse_error": "quality gate parse_error", "gate-undefined_name":
                  "quality gate undefined_name", "small-cluster": "in a small cluster",
                  "far": "far from its cluster's centroid", "random": "random (baseline)",
                  "length": "long (baseline)"}
        out.append("<p>pruned by reason: " + ", ".join(
            f"{titles.get(k, k)} {len(reasons[k])}" for k in sorted(reasons, key=lambda k: (k not in order, order.index(k) if k in order else 0, k))) + "</p>")
        for k in sorted(reasons, key=lambda k: (k not in order, order.index(k) if k in order else 0, k)):
            rs = reasons[k]
            if k == "far":
                rs = sorted(rs, key=lambda r: -dist[r])
            elif k == "small-cluster":
                rs = sorted(rs, key=lambda r: (sizes.get(int(cluster[r]), 0), -dist[r]))
            elif k.startswith("gate-"):
                rs = sorted(rs, key=lambda r: -(pe[r] if k == "gate-parse_error" else un[r]))
            out.append(f'<h4>{esc(titles.get(k, k))}: {len(reasons[k])} files</h4>')
            shown = 0
            for r in rs:
                if shown >= a.examples:
                    break
                si, ln = where[r]
                got = corpus.record(shards[si], ln)
                if not got:
                    continue
                rid, text, lang = got
                c = int(cluster[r])
                mark, why = 0, ""
                if k.startswith("gate-"):
                    g = k[5:]
                    key = (shards[si], ln, g)
                    if key not in gate_names:
                        ex = gate_explain(a.sciprune, text, lang, rid, tmpdir)
                        gate_names[key] = gate_reason(g, ex, text, lang)
                    mark, why = gate_names[key]
                    why = f"gate {g}: " + why + (f"; the first offending line is {mark}" if mark else "")
                elif k == "small-cluster":
                    why = (f"cluster {c} has {sizes.get(c, '?')} files (the {ordinal(size_rank.get(c, 0) + 1)}"
                           f"smallest of {len(sizes)}); distance to its centroid {dist[r]:.3f}")
                elif k == "far":
                    why = (f"distance to the centroid of cluster {c}: {dist[r]:.3f}, farther than "
                           f"{pct_in_cluster(c, dist[r]) - 100.0 / max(1, sizes.get(c, 1)):.0f} % of its "
                           f"{sizes.get(c, '?')} files")
                else:
                    why = f"{len(text)} bytes; cluster {c}, distance {dist[r]:.3f}"
                out.append(f'<div class="example" data-reason="{esc(k)}"><p><code>{esc(rid)}</code> '
                           f'({esc(lang)}, {shards[si]} line {ln + 1}) {files.link(rid, text)}<br>'
                           f'<span class="why">{esc(why)}</span></p>{head(text, mark=mark)}</div>')
                shown += 1
        out.append("</div>")
    out.append("</section>")

    # ---------------------------------------------------------------------- clusters
    out.append('<section id="clusters"><h2>Clusters</h2>')
    cpath = os.path.join(w, "index", "centroids.npy")
    feat = Features(w)
    cents = np.load(cpath) if os.path.exists(cpath) else None
    if feat.ok and cents is not None:
        out.append('<p class="muted">Characteristic features: the centroid dimensions that differ '
                   'most from the corpus mean; the hash embedder sums many features into each of '
                   f'its {cents.shape[1]} dimensions, so a dimension is named by the features of '
                   'this cluster\'s files that hash there with the same sign and weigh most in the '
                   'cluster against the corpus (identifier sub-tokens, keywords, operators: '
                   're-hashed from the text by this page). AST node-pair and path features hash '
                   'node types of the parse tree, which this page does not rebuild: a dimension '
                   'they carry is shown as "structure (unnamed)".</p>')
    else:
        out.append(f'<p class="muted">Characteristic features are not shown: {esc(getattr(feat, "why", "no centroids"))}.</p>')
    rng = np.random.default_rng(0)
    valid = np.nonzero(cluster >= 0)[0]
    bag_cache = {}

    def bag_of(r):
        if r not in bag_cache:
            si, ln = where[r]
            got = corpus.record(shards[si], ln)
            bag_cache[r] = feat.bag(got[1], got[2]) if got else {}
        return bag_cache[r]
    corpus_sample = []
    if feat.ok and cents is not None:
        samp = rng.choice(valid, size=min(400, len(valid)), replace=False) if len(valid) else []
        corpus_sample = [bag_of(int(r)) for r in samp]
        gmean = np.average(cents, axis=0, weights=[max(1, sizes.get(i, 1)) for i in range(len(cents))])
    for cinfo in sorted(rep.get("clusters", []), key=lambda x: x["id"]):
        c = cinfo["id"]
        members = np.nonzero(cluster == c)[0]
        out.append(f'<div class="cluster" id="cluster-{c}"><h3>cluster {c}: {cinfo["size"]} files</h3>')
        dd = cinfo.get("dist", {})
        prv = ", ".join(f"{x['name']} {p}" for x, p in zip(rep.get("variants", []), cinfo.get("pruned", [])))
        out.append(f'<p>distance to the centroid: median {dd.get("p50", 0):.3f}, p90 {dd.get("p90", 0):.3f}, '
                   f'max {dd.get("max", 0):.3f}; pruned per variant: {esc(prv)}</p>')
        if feat.ok and cents is not None and len(members):
            ms = members if len(members) <= 120 else rng.choice(members, 120, replace=False)
            _, by_dim = cluster_features(feat, cents, [bag_of(int(r)) for r in ms], corpus_sample)
            dev = cents[c] - gmean
            top = np.argsort(-np.abs(dev))[:6]
            out.append('<table><tr><th>dim</th><th>centroid</th><th>corpus mean</th><th class=l>'
                       'features of this cluster hashed there (weight in cluster minus corpus)</th></tr>')
            for b in top:
                s = 1 if dev[b] > 0 else -1
                cands = sorted(by_dim.get((int(b), s), []), key=lambda x: -x[0])
                cands = [x for x in cands if x[0] > 0][:3]
                names = ", ".join(f"<code>{esc(l)}</code> {v:+.2f}" for v, l in cands) or \
                    '<span class="muted">structure (unnamed: AST pairs/paths or literal classes)</span>'
                out.append(f"<tr><td>{b}</td><td>{cents[c][b]:+.3f}</td><td>{gmean[b]:+.3f}</td>"
                           f"<td class=l>{names}</td></tr>")
            out.append("</table>")
        if len(members):
            order = members[np.argsort(dist[members], kind="stable")]
            out.append('<div class="cols">')
            for lab, sel in (("3 nearest to the centroid", order[:3]), ("3 farthest from the centroid", order[::-1][:3])):
                out.append(f"<div><h4>{lab}</h4>")
                for r in sel:
                    si, ln = where[r]
                    got = corpus.record(shards[si], ln)
                    if not got:
                        continue
                    rid, text, lang = got
                    out.append(f'<div class="example" data-reason="cluster"><p><code>{esc(rid)}</code> '
                               f'distance {dist[r]:.3f} {files.link(rid, text)}</p>{head(text, n=6)}</div>')
                out.append("</div>")
            out.append("</div>")
        out.append("</div>")
    out.append("</section>")

    # ------------------------------------------------------------------------ probes
    out.append('<section id="probes"><h2>Corruption probes</h2>')
    vpath = os.path.join(w, "analyze", "variants.jsonl")
    lpath = os.path.join(w, "corrupt", "labels.jsonl")
    if os.path.exists(vpath) and os.path.exists(os.path.join(w, "analyze", "variants.orig.npy")):
        vrows = [json.loads(l) for l in open(vpath)]
        vorig = np.load(os.path.join(w, "analyze", "variants.orig.npy"))
        vcl = np.load(os.path.join(w, "analyze", "variants.cluster.npy"))
        vdist = np.load(os.path.join(w, "analyze", "variants.dist.npy"))
        labels = {}
        if os.path.exists(lpath):
            for l in open(lpath):
                x = json.loads(l)
                labels[x["id"]] = x
        ctexts = {}
        for p in glob.glob(os.path.join(w, "corrupt", "corrupt-*.jsonl*")):
            for l in read_lines(p):
                try:
                    x = json.loads(l)
                except ValueError:
                    continue
                if x.get("id") in labels or True:
                    ctexts[x.get("id")] = x.get(text_field)
        out.append('<p class="muted">Each probe is a clean file with one synthetic edit. Left: the '
                   'original, right: the corrupted text (<del>removed</del>, <ins>added</ins>); '
                   'below: where each landed among the clean clusters. A distance percentile is the '
                   'share of the cluster\'s clean files nearer to its centroid.</p>')
        bytype = {}
        for i, vr in enumerate(vrows):
            bytype.setdefault(vr["type"], []).append(i)
        for t in sorted(bytype):
            kind = vrows[bytype[t][0]].get("kind", "")
            out.append(f'<h3>{esc(t)} <span class="muted">({esc(kind)}, {len(bytype[t])} probes)</span></h3>')
            for i in bytype[t][:a.probes]:
                vr = vrows[i]
                o = int(vorig[i])
                if o < 0 or o >= len(where):
                    continue
                si, ln = where[o]
                got = corpus.record(shards[si], ln)
                ctext = ctexts.get(vr["id"])
                if not got or not isinstance(ctext, str):
                    continue
                rid, otext, lang = got
                L, R, nops = diff_html(otext, ctext)
                oc, od = int(cluster[o]), float(dist[o])
                vc, vd = int(vcl[i]), float(vdist[i])
                out.append(f'<div class="probe" data-type="{esc(t)}"><p><code>{esc(rid)}</code> '
                           f'{files.link(rid, otext)} / corrupted {files.link(vr["id"], ctext)}</p>'
                           f'<div class="cols"><div><h4>original: cluster {oc} ({sizes.get(oc, "?")} files), '
                           f'distance {od:.3f}, percentile {pct_in_cluster(oc, od):.0f}</h4>{L}</div>'
                           f'<div><h4>corrupted: cluster {vc} ({sizes.get(vc, "?")} files), distance '
                           f'{vd:.3f}, percentile {pct_in_cluster(vc, vd):.0f}'
                           f'{" (moved)" if vc != oc else ""}</h4>{R}</div></div></div>')
    else:
        out.append("<p>No corruption probes in this workdir (the job has no corrupt/analyze sections).</p>")
    out.append("</section>")
    out.append(f'<p class="muted">Written by scripts/report_html.py from {esc(os.path.normpath(w))}; '
               f'{files.n} full texts under report/files/.</p></main></body></html>\n')
    dst = os.path.join(w, "report.html")
    tmp = dst + f".tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(out))
    os.replace(tmp, dst)
    for p in glob.glob(os.path.join(tmpdir, "gate-src*")):
        os.remove(p)
    print(os.path.normpath(dst))


if __name__ == "__main__":
    main()
