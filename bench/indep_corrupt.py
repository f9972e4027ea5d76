#!/usr/bin/python3
"""indep_corrupt.py - syntax corruptions made independently of sciprune, validated by the real tools.

usage: indep_corrupt.py --in SHARD... --out DIR [--src-root DEVSRC/src] [--per-class N]
                        [--seed S] [--langs python,javascript,c] [--jobs J]

Nothing here calls sciprune or tree-sitter: each language has its own lexer (Python: the standard
`tokenize` module; JavaScript and C: the small hand-written lexers below), every error class is a
different edit, sites are drawn with a seeded RNG among every site of that class in the file, and a
variant is kept only when the real tool rejects it while it accepts the original:

  python      compile(src, path, 'exec') in this interpreter (/usr/bin/python3): SyntaxError,
              IndentationError, TabError. The indentation classes also require the tool's own
              message ("unexpected indent", "unindent does not match", "expected an indented
              block", TabError); the other classes accept any SyntaxError.
  javascript  `node --check FILE.js` (V8; node 20 detects ES-module syntax in a .js file itself).
  c           `gcc -fsyntax-only -w -std=gnu11` with the file's own folder (-iquote/-I), the package
              root and its include/ src/ lib/ folders, and a per-package stub folder where every
              header gcc cannot find (config.h, generated headers) is an empty file (found by
              re-running gcc while it stops on "No such file"). A C file is an original only when
              gcc exits 0 on it this way; a variant is kept when gcc then exits non-zero.

Outputs in DIR:
  accepted.jsonl         one line per input record of the languages: {"id","lang","path","accepted",
                         "msg"} (msg: the tool's first error on the unmodified file)
  corrupt-<lang>.jsonl.zst  the variants as shard records {"id","content","lang","path","size"};
                         id = "indep:<class>:<orig id>"
  labels.jsonl           {"id","orig_id","lang","class","line","shard","index","msg"}: line = 1-based
                         line of the edit in the variant, index = 1-based line in the shard, msg =
                         the tool's error on the variant
  summary.json           per language and class: made, candidates tried; settings
The originals for the corruptions are drawn only from accepted records. Reruns reuse
accepted.jsonl when it lists the same record ids.
"""
import argparse, hashlib, io, json, keyword, os, random, re, subprocess, sys, tempfile
import tokenize, warnings
from concurrent.futures import ThreadPoolExecutor
import zstandard

LANGS = ('python', 'javascript', 'c')
STUB_INCLUDES = ("stddef.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "limits.h", "sys/types.h")

# ---------------------------------------------------------------------------------------------
# shards

def read_shard(path):
    with open(path, 'rb') as fh:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding='utf-8'):
            yield json.loads(line)


def write_shard(path, recs):
    with open(path, 'wb') as fh:
        with zstandard.ZstdCompressor(level=3).stream_writer(fh) as w:
            for r in recs:
                w.write((json.dumps(r, ensure_ascii=False) + '\n').encode('utf-8'))


def line_of(src, off):
    return src.count('\n', 0, off) + 1

# ---------------------------------------------------------------------------------------------
# validators: (accepted: bool, message)

def check_python(src, path='<file>'):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            compile(src, path, 'exec', dont_inherit=True)
            return True, ''
        except (SyntaxError, ValueError) as e:   # ValueError: NUL bytes
            return False, f'{type(e).__name__}: {getattr(e, "msg", str(e))}'
        except (RecursionError, MemoryError) as e:
            return False, f'{type(e).__name__}'


class JSCheck:
    """node --check's compile, many sources through one node process (bench/jscheck.js)."""
    def __init__(self):
        import threading
        self.lock = threading.Lock()
        self.p = subprocess.Popen(['node', '--experimental-vm-modules', '--no-warnings',
                                   os.path.join(os.path.dirname(os.path.abspath(__file__)), 'jscheck.js')],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  encoding='utf-8')

    def __call__(self, src, _path=None, want_mode=False):
        with self.lock:
            self.p.stdin.write(json.dumps({'src': src}) + '\n')
            self.p.stdin.flush()
            r = json.loads(self.p.stdout.readline())
        return (r['ok'], r['msg'], r['mode']) if want_mode else (r['ok'], r['msg'])


def check_js(src, _path=None, suffix='.js'):
    """the real `node --check` (used to verify JSCheck on a sample)."""
    with tempfile.NamedTemporaryFile('w', suffix=suffix, delete=False, encoding='utf-8') as f:
        f.write(src)
    try:
        p = subprocess.run(['node', '--check', f.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    if p.returncode == 0:
        return True, ''
    m = re.search(r'^(\w*Error: .*)$', p.stderr, re.M)
    return False, m.group(1) if m else p.stderr.strip().split('\n')[-1][:200]


class CCheck:
    """gcc -fsyntax-only with the original's include folders and empty stub headers."""
    def __init__(self, src_root, stub_root):
        self.src_root, self.stub_root = src_root, stub_root

    def flags(self, path):
        # path as ingested from DEVSRC/tree/<half>: "<half>/c/<pkg>/<rel>"
        parts = path.split('/')
        if 'c' in parts[:2]:
            parts = parts[parts.index('c') + 1:]
        pkg, rel = parts[0], '/'.join(parts[1:])
        root = os.path.join(self.src_root, pkg)
        d = os.path.dirname(os.path.join(root, rel))
        stub = os.path.join(self.stub_root, pkg)
        os.makedirs(stub, exist_ok=True)
        inc = ['-iquote', d, '-I', d]
        for sub in ('', 'include', 'src', 'lib'):
            if os.path.isdir(os.path.join(root, sub)):
                inc += ['-I', os.path.join(root, sub)]
        return inc + ['-I', stub], stub

    def __call__(self, src, path, fill_stubs=False):
        inc, stub = self.flags(path)
        with tempfile.NamedTemporaryFile('w', suffix='.c', delete=False, encoding='utf-8') as f:
            f.write(src)
        try:
            for _ in range(25 if fill_stubs else 1):
                p = subprocess.run(['gcc', '-fsyntax-only', '-w', '-std=gnu11', '-fmax-errors=3',
                                    *inc, f.name], capture_output=True, text=True, timeout=120)
                m = re.search(r'fatal error: ([^:\s]+): No such file', p.stderr)
                if p.returncode == 0 or not fill_stubs or not m:
                    break
                h = os.path.join(stub, m.group(1))
                if os.path.exists(h):
                    continue            # made by the other thread meanwhile: compile again
                os.makedirs(os.path.dirname(h), exist_ok=True)
                with open(h, "w") as sf:   # a stub: the usual standard headers a config header brings
                    sf.write("".join(f"#include <{x}>\n" for x in STUB_INCLUDES))
        finally:
            os.unlink(f.name)
        if p.returncode == 0:
            return True, ''
        m = re.search(r'(?:fatal )?error: (.*)$', p.stderr, re.M)
        return False, m.group(1)[:200] if m else p.stderr.strip()[:200]

# ---------------------------------------------------------------------------------------------
# lexers. A token: (kind, start, end, text); for strings/templates/regex/comments the
# offsets of their closing delimiter are at `end - len(delim)`.

JS_PUNCT = sorted('''>>>= ... === !== **= <<= >>= >>> &&= ||= ??= => == != <= >= && || ?? ?. ++ --
+= -= *= /= %= &= |= ^= << >> ** { } ( ) [ ] ; , < > + - * / % & | ^ ! ~ ? : = . @ #'''.split(),
                  key=len, reverse=True)
C_PUNCT = sorted('''<<= >>= ... -> ++ -- << >> <= >= == != && || *= /= %= += -= &= ^= |= ## { } ( ) [ ]
; , < > + - * / % & | ^ ! ~ ? : = . #'''.split(), key=len, reverse=True)
JS_KEYWORDS = set('''break case catch class const continue debugger default delete do else export
extends finally for function if import in instanceof new return super switch this throw try typeof
var void while with yield let static async await of null true false'''.split())
JS_REGEX_AFTER_KW = {'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw',
                     'case', 'do', 'else', 'yield', 'await'}
IDENT = re.compile(r'[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*')
NUMBER = re.compile(r'(?:0[xXoObB][0-9a-fA-F_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?)'
                    r'[A-Za-z0-9_]*')


class LexError(Exception):
    pass


def lex_js(s):
    toks, i, n = [], 0, len(s)
    braces = []            # '{' or 'tpl' (a template's ${ ... })
    if s.startswith('#!'):
        i = s.find('\n') if '\n' in s else n

    def scan_template(i):  # i just after ` or after the } closing ${
        while i < n:
            c = s[i]
            if c == '\\':
                i += 2; continue
            if c == '`':
                return i + 1, 'end'
            if c == '$' and i + 1 < n and s[i + 1] == '{':
                return i + 2, 'sub'
            i += 1
        raise LexError('template')
    while i < n:
        c = s[i]
        if c in ' \t\r\n\f\v\u00a0\ufeff\u2028\u2029':
            i += 1; continue
        if s.startswith('//', i):
            j = s.find('\n', i); j = n if j < 0 else j
            toks.append(('comment', i, j, s[i:j])); i = j; continue
        if s.startswith('/*', i):
            j = s.find('*/', i + 2)
            if j < 0:
                raise LexError('comment')
            toks.append(('blockcomment', i, j + 2, None)); i = j + 2; continue
        if c in '"\'':
            j = i + 1
            while j < n and s[j] != c:
                if s[j] == '\\':
                    j += 1
                elif s[j] == '\n':
                    raise LexError('string')
                j += 1
            if j >= n:
                raise LexError('string')
            toks.append(('string', i, j + 1, None)); i = j + 1; continue
        if c == '`':
            j, how = scan_template(i + 1)
            if how == 'end':
                toks.append(('template', i, j, None))
            else:
                toks.append(('template_head', i, j, None)); braces.append('tpl')
            i = j; continue
        if c == '}' and braces and braces[-1] == 'tpl':
            braces.pop()
            j, how = scan_template(i + 1)
            if how == 'end':
                toks.append(('template', i, j, None))
            else:
                toks.append(('template_mid', i, j, None)); braces.append('tpl')
            i = j; continue
        if c == '/':
            prev = next((t for t in reversed(toks) if t[0] not in ('comment', 'blockcomment')), None)
            regex_ok = prev is None or (prev[0] == 'punct' and prev[3] not in (')', ']', '}', '++', '--')) \
                or (prev[0] == 'name' and prev[3] in JS_REGEX_AFTER_KW)
            if regex_ok:
                j, cls = i + 1, False
                while j < n:
                    d = s[j]
                    if d == '\\':
                        j += 2; continue
                    if d == '\n':
                        raise LexError('regex')
                    if d == '[':
                        cls = True
                    elif d == ']':
                        cls = False
                    elif d == '/' and not cls:
                        break
                    j += 1
                if j >= n:
                    raise LexError('regex')
                k = j + 1
                while k < n and (s[k].isalnum() or s[k] == '_'):
                    k += 1
                toks.append(('regex', i, k, s[j + 1:k])); i = k; continue
        m = IDENT.match(s, i)
        if m:
            toks.append(('name', i, m.end(), m.group())); i = m.end(); continue
        if c.isdigit() or (c == '.' and i + 1 < n and s[i + 1].isdigit()):
            m = NUMBER.match(s, i)
            toks.append(('number', i, m.end(), m.group())); i = m.end(); continue
        if c == '\\':
            raise LexError('backslash')
        for p in JS_PUNCT:
            if s.startswith(p, i):
                if p == '{':
                    braces.append('{')
                elif p == '}' and braces:
                    braces.pop()
                toks.append(('punct', i, i + len(p), p)); i += len(p); break
        else:
            raise LexError(f'char {c!r}')
    return toks


def lex_c(s):
    toks, i, n = [], 0, len(s)
    bol = True                    # at the beginning of a line (only whitespace before)
    in_pp = False
    while i < n:
        c = s[i]
        if c == '\n':
            if not (i > 0 and s[i - 1] == '\\'):
                in_pp = False
            bol = True; i += 1; continue
        if c in ' \t\r\f\v':
            i += 1; continue
        if s.startswith('\\\n', i):
            i += 2; continue
        if s.startswith('//', i):
            j = s.find('\n', i); j = n if j < 0 else j
            toks.append(('comment', i, j, None, in_pp)); i = j; continue
        if s.startswith('/*', i):
            j = s.find('*/', i + 2)
            if j < 0:
                raise LexError('comment')
            toks.append(('blockcomment', i, j + 2, None, in_pp)); i = j + 2; continue
        if c == '#' and bol:
            in_pp = True
            m = re.compile(r'#\s*(\w*)').match(s, i)
            toks.append(('directive', i, m.end(), m.group(1), True)); i = m.end(); bol = False
            if m.group(1) in ('include', 'error', 'warning', 'pragma', 'line'):
                while i < n and not (s[i] == '\n' and s[i - 1] != '\\'):
                    i += 1
            continue
        bol = False
        m = re.compile(r'(?:u8|[uUL])?(["\'])').match(s, i)
        if m:
            q = m.group(1); j = m.end()
            while j < n and s[j] != q:
                if s[j] == '\\':
                    j += 1
                elif s[j] == '\n':
                    raise LexError('string')
                j += 1
            if j >= n:
                raise LexError('string')
            toks.append(('string' if q == '"' else 'char', i, j + 1, None, in_pp)); i = j + 1; continue
        m = re.compile(r'[A-Za-z_]\w*').match(s, i)
        if m:
            toks.append(('name', i, m.end(), m.group(), in_pp)); i = m.end(); continue
        m = re.compile(r'\.?\d(?:[eEpP][+-]|[\w.])*').match(s, i)
        if m:
            toks.append(('number', i, m.end(), m.group(), in_pp)); i = m.end(); continue
        for p in C_PUNCT:
            if s.startswith(p, i):
                toks.append(('punct', i, i + len(p), p, in_pp)); i += len(p); break
        else:
            toks.append(('other', i, i + 1, c, in_pp)); i += 1
    return toks

# ---------------------------------------------------------------------------------------------
# edits: each class function takes (src, tokens, rng) and returns a list of candidate edits
# (offset, removed_length, inserted_text); one is drawn at random.

def swap_typo(word, rng):
    if len(word) < 2:
        return word + word
    k = rng.randrange(len(word) - 1)
    w = word[:k] + word[k + 1] + word[k] + word[k + 2:]
    return w if w != word else word[:-1]

# ---- Python

PY_COMPOUND = {'if', 'elif', 'else', 'for', 'while', 'def', 'class', 'try', 'except', 'finally',
               'with', 'async'}


class PyInfo:
    def __init__(self, src):
        self.src = src
        self.lines = src.splitlines(keepends=True)
        self.starts = [0]
        for l in self.lines:
            self.starts.append(self.starts[-1] + len(l))
        self.toks = list(tokenize.generate_tokens(io.StringIO(src).readline))

    def off(self, rc):
        return self.starts[rc[0] - 1] + rc[1]

    def stmt_starts(self):
        """(token index, previous significant token type) for the first token of each logical line."""
        out, prev = [], None
        for k, t in enumerate(self.toks):
            if t.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            if t.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                prev = t.type if t.type != tokenize.DEDENT else prev if prev == tokenize.INDENT else tokenize.DEDENT
                continue
            if prev in (None, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                out.append((k, prev))
            prev = t.type
        return out


def indent_of(line):
    return len(line) - len(line.lstrip(' \t'))


def py_sites(cls, P):
    src, toks, sites = P.src, P.toks, []
    OP = tokenize.OP
    if cls == 'unexpected-indent':
        for k, prev in P.stmt_starts():
            if prev in (tokenize.NEWLINE, tokenize.DEDENT):
                row = toks[k].start[0]
                sites.append((P.starts[row - 1], 0, '    '))
    elif cls in ('unindent-mismatch', 'tab-error'):
        for k, prev in P.stmt_starts():
            if prev != tokenize.NEWLINE:
                continue
            row = toks[k].start[0]
            line = P.lines[row - 1]
            ind = line[:indent_of(line)]
            if not ind or set(ind) != {' '}:
                continue
            if cls == 'unindent-mismatch' and len(ind) >= 2:
                sites.append((P.starts[row - 1], 2 if len(ind) % 4 == 0 else 1, ''))
            if cls == 'tab-error' and len(ind) <= 8:
                sites.append((P.starts[row - 1], len(ind), '\t'))
    elif cls == 'expected-indented-block':
        for k, t in enumerate(toks):
            if t.type != tokenize.INDENT:
                continue
            # the block: rows from this INDENT to its DEDENT
            depth, j = 0, k
            while j < len(toks):
                if toks[j].type == tokenize.INDENT:
                    depth += 1
                elif toks[j].type == tokenize.DEDENT:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            r0, r1 = t.start[0], toks[j].start[0] if j < len(toks) else len(P.lines) + 1
            body_ind = t.string
            # header indentation: the line the block hangs from
            h = k - 1
            while h >= 0 and toks[h].type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                h -= 1
            if h < 0:
                continue
            hdr = P.lines[_logical_first_row(P, h) - 1]
            hind = hdr[:indent_of(hdr)]
            if not body_ind.startswith(hind) or len(body_ind) <= len(hind):
                continue
            cut = len(body_ind) - len(hind)
            new, ok = [], True
            for row in range(r0, min(r1, len(P.lines) + 1)):
                l = P.lines[row - 1]
                if l.strip() == '':
                    new.append(l)
                elif l.startswith(body_ind):
                    new.append(l[:len(hind)] + l[len(hind) + cut:])
                else:
                    ok = False; break
            if ok and r0 <= len(P.lines):
                a, b = P.starts[r0 - 1], P.starts[min(r1, len(P.lines) + 1) - 1]
                sites.append((a, b - a, ''.join(new)))
    elif cls in ('drop-close-bracket', 'drop-open-bracket'):
        want = ')]}' if cls == 'drop-close-bracket' else '([{'
        for t in toks:
            if t.type == OP and t.string in want:
                sites.append((P.off(t.start), 1, ''))
    elif cls in ('unterminated-string', 'unterminated-triple-string'):
        for t in toks:
            if t.type != tokenize.STRING:
                continue
            body = t.string.lstrip('rRbBuUfF')
            triple = body[:3] in ('"""', "'''")
            if cls == 'unterminated-triple-string' and triple:
                sites.append((P.off(t.end) - 3, 3, ''))
            elif cls == 'unterminated-string' and not triple and t.start[0] == t.end[0]:
                sites.append((P.off(t.end) - 1, 1, ''))
    elif cls == 'missing-colon':
        for k, _ in P.stmt_starts():
            if toks[k].type != tokenize.NAME or toks[k].string not in PY_COMPOUND:
                continue
            depth = 0
            for t in toks[k:]:
                if t.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                    break
                if t.type == OP:
                    if t.string in '([{':
                        depth += 1
                    elif t.string in ')]}':
                        depth -= 1
                    elif t.string == ':' and depth == 0:
                        sites.append((P.off(t.start), 1, '')); break
    elif cls == 'misspelt-keyword':
        for t in toks:
            if t.type == tokenize.NAME and keyword.iskeyword(t.string):
                sites.append((P.off(t.start), len(t.string), ('typo', t.string)))
    elif cls == 'missing-comma':
        depth = 0
        for k, t in enumerate(toks):
            if t.type == OP and t.string in '([{':
                depth += 1
            elif t.type == OP and t.string in ')]}':
                depth -= 1
            elif t.type == OP and t.string == ',' and depth > 0 and 0 < k < len(toks) - 1:
                a, b = toks[k - 1], toks[k + 1]
                if a.type in (tokenize.NAME, tokenize.NUMBER) or (a.type == OP and a.string in ')]}'):
                    if b.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING):
                        sites.append((P.off(t.start), 1, ''))
    elif cls == 'bad-assign-target':
        for k, _ in P.stmt_starts():
            t = toks[k]
            if t.type == tokenize.NAME and not keyword.iskeyword(t.string) and k + 1 < len(toks) \
                    and toks[k + 1].type == OP and toks[k + 1].string == '=':
                sites.append((P.off(t.end), 0, '()'))
    elif cls == 'stray-operator':
        for k, t in enumerate(toks):
            if t.type == OP and t.string in ('(', '[', '=', ',') and k + 1 < len(toks) \
                    and toks[k + 1].type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING):
                sites.append((P.off(t.end), 0, ('op', ['/ ', '% ', '== ', '>> ', '& ', '| ', '. '])))
    elif cls == 'stray-character':
        for t in toks:
            if t.type in (tokenize.NAME, tokenize.NUMBER) and t.start[0] == t.end[0]:
                sites.append((P.off(t.end), 0, ('op', [' $', ' ?', '!'])))
    return sites


def _logical_first_row(P, h):
    """first row of the logical line holding token h."""
    k = h
    while k > 0 and P.toks[k - 1].type not in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                                 tokenize.ENCODING):
        k -= 1
    while k <= h and P.toks[k].type in (tokenize.NL, tokenize.COMMENT):
        k += 1
    return P.toks[min(k, h)].start[0]


PY_CLASSES = ['unexpected-indent', 'unindent-mismatch', 'expected-indented-block', 'tab-error',
              'drop-close-bracket', 'drop-open-bracket', 'unterminated-string',
              'unterminated-triple-string', 'missing-colon', 'misspelt-keyword', 'missing-comma',
              'bad-assign-target', 'stray-operator', 'stray-character']
PY_MSG = {'unexpected-indent': lambda m: m.startswith('IndentationError: unexpected indent'),
          'unindent-mismatch': lambda m: 'unindent does not match' in m,
          'expected-indented-block': lambda m: 'expected an indented block' in m,
          'tab-error': lambda m: m.startswith('TabError')}

# ---- JavaScript

JS_CLASSES = ['drop-close-bracket', 'drop-open-bracket', 'unterminated-string',
              'unterminated-template', 'unterminated-regex', 'unterminated-comment',
              'missing-comma-object', 'missing-comma-array', 'missing-comma-args',
              'misspelt-keyword', 'bad-assign-target', 'duplicate-declaration', 'stray-operator']
JS_TYPO_KW = {'function', 'return', 'var', 'const', 'if', 'else', 'for', 'while', 'switch', 'case',
              'new', 'typeof', 'instanceof', 'throw', 'try', 'catch', 'finally', 'class', 'extends',
              'import', 'export', 'default', 'do', 'in', 'let', 'break', 'continue', 'delete'}


def js_sites(cls, src, toks):
    sites = []
    sig = [t for t in toks if t[0] not in ('comment', 'blockcomment')]
    stack = []          # innermost bracket for each significant token
    inner = []
    for t in sig:
        if t[0] == 'punct' and t[3] in '([{':
            inner.append(stack[-1] if stack else None); stack.append(t[3])
        elif t[0] == 'template_head':
            inner.append(stack[-1] if stack else None); stack.append('${')
        elif (t[0] == 'punct' and t[3] in ')]}') or t[0] in ('template_mid', 'template'):
            if t[0] == 'template_mid':
                inner.append('${'); continue
            if t[0] == 'template' and not (stack and stack[-1] == '${' and src[t[1]] == '}'):
                inner.append(stack[-1] if stack else None); continue
            if stack:
                stack.pop()
            inner.append(stack[-1] if stack else None)
        else:
            inner.append(stack[-1] if stack else None)

    def stmt_start(k):
        if k == 0:
            return True
        p = sig[k - 1]
        return (p[0] == 'punct' and p[3] in (';', '{', '}')) or src.count('\n', p[2], sig[k][1]) > 0
    for k, t in enumerate(sig):
        kind, a, b, text = t
        nxt = sig[k + 1] if k + 1 < len(sig) else None
        prv = sig[k - 1] if k > 0 else None
        if cls == 'drop-close-bracket' and kind == 'punct' and text in ')]}':
            sites.append((a, 1, ''))
        elif cls == 'drop-open-bracket' and kind == 'punct' and text in '([{':
            sites.append((a, 1, ''))
        elif cls == 'unterminated-string' and kind == 'string':
            sites.append((b - 1, 1, ''))
        elif cls == 'unterminated-template' and kind == 'template':
            sites.append((b - 1, 1, ''))
        elif cls == 'unterminated-regex' and kind == 'regex':
            sites.append((b - 1 - len(text), 1, ''))
        elif cls.startswith('missing-comma') and kind == 'punct' and text == ',' and prv and nxt:
            if prv[0] == 'punct' and prv[3] in ',[({' or nxt[0] == 'punct' and nxt[3] in ',)]}':
                continue
            if nxt[0] == 'punct' and nxt[3] == '...':
                continue
            ctx = inner[k]
            if cls == 'missing-comma-object' and ctx == '{' and k + 2 < len(sig) \
                    and nxt[0] in ('name', 'string', 'number') and sig[k + 2][3] == ':':
                sites.append((a, 1, ''))
            elif cls == 'missing-comma-array' and ctx == '[':
                sites.append((a, 1, ''))
            elif cls == 'missing-comma-args' and ctx == '(':
                sites.append((a, 1, ''))
        elif cls == 'misspelt-keyword' and kind == 'name' and text in JS_TYPO_KW \
                and not (prv and prv[0] == 'punct' and prv[3] in ('.', '?.')) \
                and not (nxt and nxt[0] == 'punct' and nxt[3] == ':'):
            sites.append((a, b - a, ('typo', text)))
        elif cls == 'bad-assign-target' and kind == 'name' and text not in JS_KEYWORDS and nxt \
                and nxt[0] == 'punct' and nxt[3] == '=' and stmt_start(k):
            sites.append((b, 0, ' + 1'))
        elif cls == 'duplicate-declaration' and kind == 'name' and text in ('let', 'const', 'var') \
                and stmt_start(k) and nxt and nxt[0] == 'name' and nxt[3] not in JS_KEYWORDS:
            sites.append((a, 0, f'let {nxt[3]}; '))
        elif cls == 'stray-operator' and kind == 'punct' and text in ('(', '[', '=', ',') and nxt \
                and nxt[0] in ('name', 'number', 'string'):
            sites.append((b, 0, ('op', [' *', ' %', ' ==', ' >>', ' &&', ' =>', ' .'])))
    if cls == 'unterminated-comment':
        for t in toks:
            if t[0] == 'blockcomment':
                sites.append((t[2] - 2, 2, ''))
    return sites

# ---- C

C_CLASSES = ['drop-close-bracket', 'drop-open-bracket', 'drop-semicolon', 'unterminated-string',
             'unterminated-char', 'unterminated-comment', 'misspelt-keyword', 'missing-comma',
             'stray-character', 'drop-endif', 'missing-operand', 'bad-assign-target']
C_TYPO_KW = {'return', 'while', 'for', 'if', 'else', 'struct', 'int', 'char', 'unsigned', 'static',
             'const', 'sizeof', 'switch', 'case', 'break', 'typedef', 'void', 'long', 'do', 'goto',
             'continue', 'default', 'enum', 'union', 'double', 'float', 'short', 'signed'}
C_BINOPS = {'+', '-', '/', '%', '<<', '>>', '<', '>', '<=', '>=', '==', '!=', '&&', '||', '|', '^',
            '=', '+=', '-=', '|=', '&=', '?'}


def c_sites(cls, src, toks):
    sites = []
    code = [t for t in toks if t[0] not in ('comment', 'blockcomment')]
    stack, inner = [], []
    for t in code:
        if t[0] == 'punct' and t[3] in '([{' and not t[4]:
            inner.append(stack[-1] if stack else None); stack.append(t[3])
        elif t[0] == 'punct' and t[3] in ')]}' and not t[4]:
            if stack:
                stack.pop()
            inner.append(stack[-1] if stack else None)
        else:
            inner.append(stack[-1] if stack else None)
    for k, t in enumerate(code):
        kind, a, b, text, pp = t
        if pp and cls != 'drop-endif':
            continue
        nxt = code[k + 1] if k + 1 < len(code) else None
        prv = code[k - 1] if k > 0 else None
        if cls == 'drop-close-bracket' and kind == 'punct' and text in ')]}':
            sites.append((a, 1, ''))
        elif cls == 'drop-open-bracket' and kind == 'punct' and text in '([{':
            sites.append((a, 1, ''))
        elif cls == 'drop-semicolon' and kind == 'punct' and text == ';':
            sites.append((a, 1, ''))
        elif cls == 'unterminated-string' and kind == 'string':
            sites.append((b - 1, 1, ''))
        elif cls == 'unterminated-char' and kind == 'char':
            sites.append((b - 1, 1, ''))
        elif cls == 'misspelt-keyword' and kind == 'name' and text in C_TYPO_KW:
            sites.append((a, b - a, ('typo', text)))
        elif cls == 'missing-comma' and kind == 'punct' and text == ',' and prv and nxt \
                and inner[k] in ('(', '{') and prv[0] in ('name', 'number', 'string', 'char') \
                and nxt[0] in ('name', 'number', 'char'):
            sites.append((a, 1, ''))
        elif cls == 'stray-character' and kind in ('name', 'number'):
            sites.append((b, 0, ('op', [' @', ' `', ' \\'])))
        elif cls == 'drop-endif' and kind == 'directive' and text == 'endif':
            e = src.find('\n', a); e = len(src) if e < 0 else e + 1
            sites.append((a, e - a, ''))
        elif cls == 'missing-operand' and kind == 'punct' and text in C_BINOPS and nxt and not nxt[4] \
                and nxt[0] in ('name', 'number') and prv and prv[0] in ('name', 'number') \
                and k + 2 < len(code) and code[k + 2][0] == 'punct' and code[k + 2][3] in (';', ')'):
            sites.append((nxt[1], nxt[2] - nxt[1], ''))
        elif cls == 'bad-assign-target' and kind == 'name' and nxt and nxt[0] == 'punct' \
                and nxt[3] == '=' and prv and prv[0] == 'punct' and prv[3] in (';', '{', '}'):
            sites.append((b, 0, ' + 1'))
    if cls == 'unterminated-comment':
        for t in toks:
            if t[0] == 'blockcomment' and not t[4]:
                sites.append((t[2] - 2, 2, ''))
    return sites

# ---------------------------------------------------------------------------------------------

def apply(src, site, rng):
    off, rm, ins = site
    if isinstance(ins, tuple):
        ins = swap_typo(ins[1], rng) if ins[0] == 'typo' else rng.choice(ins[1])
    return src[:off] + ins + src[off + rm:], off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--in', dest='inp', nargs='+', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--src-root', default='/work/devsrc/src')
    ap.add_argument('--per-class', type=int, default=40)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--langs', default='python,javascript,c')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--verify-js', type=int, default=60,
                    help='check the one-process JS checker against `node --check` on N originals and N variants')
    a = ap.parse_args()
    langs = a.langs.split(',')
    os.makedirs(a.out, exist_ok=True)
    recs = [r for sh in a.inp for r in read_shard(sh) if r.get('lang') in langs]
    ccheck = CCheck(a.src_root, os.path.join(a.out, 'stubs'))
    jscheck = JSCheck() if 'javascript' in langs else None
    checkers = {'python': check_python, 'javascript': jscheck, 'c': ccheck}
    pool = ThreadPoolExecutor(a.jobs)

    # 1. which originals does the real tool accept?
    accf = os.path.join(a.out, 'accepted.jsonl')
    acc = {}
    if os.path.exists(accf):
        acc = {j['id']: j for j in map(json.loads, open(accf))}
    if set(acc) != {r['id'] for r in recs}:
        def judge(r):
            if r['lang'] == 'c':
                ok, msg = ccheck(r['content'], r['path'], fill_stubs=True)
            elif r['lang'] == 'javascript':
                ok, msg = jscheck(r['content'])
            else:
                ok, msg = check_python(r['content'], r['path'])
            return {'id': r['id'], 'lang': r['lang'], 'path': r['path'], 'accepted': ok, 'msg': msg}
        # python in this process (compile), the tools in parallel
        res = list(pool.map(judge, recs))
        acc = {j['id']: j for j in res}
        with open(accf, 'w') as f:
            for r in recs:
                f.write(json.dumps(acc[r['id']]) + '\n')
    for l in langs:
        n = sum(1 for r in recs if r['lang'] == l)
        k = sum(1 for r in recs if r['lang'] == l and acc[r['id']]['accepted'])
        print(f'{l}: {k} of {n} files accepted by the tool', file=sys.stderr)

    # 2. corruptions
    summary = {'settings': {'per_class': a.per_class, 'seed': a.seed, 'langs': langs}, 'made': {}}
    labels, all_out, labels_js = [], {}, []
    for lang in langs:
        origs = [r for r in recs if r['lang'] == lang and acc[r['id']]['accepted']]
        classes = {'python': PY_CLASSES, 'javascript': JS_CLASSES, 'c': C_CLASSES}[lang]
        out = []
        info_cache = {}

        def info(r):
            if r['id'] not in info_cache:
                try:
                    if lang == 'python':
                        info_cache[r['id']] = PyInfo(r['content'])
                    elif lang == 'javascript':
                        info_cache[r['id']] = lex_js(r['content'])
                    else:
                        info_cache[r['id']] = lex_c(r['content'])
                except (LexError, tokenize.TokenError, IndentationError, SyntaxError):
                    info_cache[r['id']] = None
            return info_cache[r['id']]
        for cls in classes:
            h = int(hashlib.sha1(f'{a.seed}:{lang}:{cls}'.encode()).hexdigest()[:12], 16)
            rng = random.Random(h)
            order = origs[:]
            rng.shuffle(order)
            made, tried, pos = [], 0, 0
            while len(made) < a.per_class and pos < len(order):
                batch = []
                while len(batch) < max(8, 2 * (a.per_class - len(made))) and pos < len(order):
                    r = order[pos]; pos += 1
                    I = info(r)
                    if I is None:
                        continue
                    if lang == 'python':
                        sites = py_sites(cls, I)
                    elif lang == 'javascript':
                        sites = js_sites(cls, r['content'], I)
                    else:
                        sites = c_sites(cls, r['content'], I)
                    if not sites:
                        continue
                    site = rng.choice(sites)
                    var, off = apply(r['content'], site, rng)
                    if var == r['content']:
                        continue
                    batch.append((r, var, off))
                tried += len(batch)
                chk = checkers[lang]
                if lang != 'c':
                    results = [chk(v, r['path']) for r, v, _ in batch]
                else:
                    results = list(pool.map(lambda x: chk(x[1], x[0]['path']), batch))
                for (r, var, off), (ok, msg) in zip(batch, results):
                    if ok or len(made) >= a.per_class:
                        continue
                    if lang == 'python' and cls in PY_MSG and not PY_MSG[cls](msg):
                        continue
                    made.append((r, var, off, msg))
            summary['made'].setdefault(lang, {})[cls] = {'made': len(made), 'tried': tried}
            print(f'{lang:10} {cls:28} made {len(made):3} tried {tried:4}', file=sys.stderr)
            for r, var, off, msg in made:
                vid = f'indep:{cls}:{r["id"]}'
                out.append({'id': vid, 'content': var, 'lang': lang, 'path': r['path'],
                            'size': len(var.encode('utf-8'))})
                labels.append({'id': vid, 'orig_id': r['id'], 'lang': lang, 'class': cls,
                               'line': line_of(var, off), 'shard': f'corrupt-{lang}.jsonl.zst',
                               'index': len(out), 'msg': msg})
        write_shard(os.path.join(a.out, f'corrupt-{lang}.jsonl.zst'), out)
        all_out[lang] = [r['content'] for r in out]
        if lang == 'javascript':
            labels_js = [l for l in labels if l['lang'] == 'javascript']
    with open(os.path.join(a.out, 'labels.jsonl'), 'w') as f:
        for l in labels:
            f.write(json.dumps(l) + '\n')
    if jscheck and a.verify_js:
        vr = random.Random(a.seed)
        js_orig = [r['content'] for r in recs if r['lang'] == 'javascript']
        js_var = [v for v, l in zip(all_out.get('javascript', []), labels_js)]
        sample = vr.sample(js_orig, min(a.verify_js, len(js_orig))) + \
            vr.sample(js_var, min(a.verify_js, len(js_var)))
        def both(src):
            ok, msg, mode = jscheck(src, want_mode=True)
            ok2, msg2 = check_js(src, suffix='.mjs' if mode == 'module' else '.js')
            return ok == ok2, mode, msg, msg2
        res = list(pool.map(both, sample))
        bad = [x for x in res if not x[0]]
        summary['js_checker_vs_node_check'] = {'sampled': len(res), 'agree': len(res) - len(bad),
                                               'disagreements': [x[1:] for x in bad[:10]]}
        print(f'jscheck vs node --check: {len(res) - len(bad)} of {len(res)} agree', file=sys.stderr)
    json.dump(summary, open(os.path.join(a.out, 'summary.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
