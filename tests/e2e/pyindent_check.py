#!/usr/bin/python3
"""pyindent_check.py - validate the python indentation checker against CPython itself.

usage: pyindent_check.py SCIPRUNE_BIN WORKDIR [--real DIR] [--real-glob PATTERN]
                         [--real-files N] [--gen-files N] [--mutations N] [--seed S]

Takes Python files (a set generated here, so the check never skips, plus up to N real files
from --real DIR when it exists), keeps those CPython compiles, and applies random indentation
mutations anywhere in them: over-indent, dedent to a column off the stack, dedent to an outer
level, tabs for spaces and spaces for tabs, a deleted block body, a form feed, a backslash in
the indentation, CRLF / CR newlines. Each source is compiled with compile(src, f, 'exec') and
judged by `sciprune gates --file` (indent_errors). Asserts:
  - no false positive: no file CPython compiles has indent_errors > 0;
  - detection: >= 99 % of the files CPython rejects with IndentationError/TabError have
    indent_errors > 0.
Prints the agreement table as JSON (also written to WORKDIR/pyindent_agreement.json).
"""
import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tokenize
import io
import warnings


def cpython(src):
    """'ok', 'indent' (IndentationError incl. TabError), 'syntax' or 'other'; and the line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(src, "<m>", "exec", dont_inherit=True)
            return "ok", 0
        except IndentationError as e:  # TabError is an IndentationError
            return "indent", e.lineno or 0
        except SyntaxError as e:
            return "syntax", e.lineno or 0
        except (ValueError, MemoryError, RecursionError):
            return "other", 0


# ----------------------------------------------------------------- generated corpus
NAMES = ["alpha", "beta", "gamma", "delta", "value", "items", "count", "total", "node", "res"]


class Gen:
    def __init__(self, rng, unit, tabs):
        self.rng, self.unit, self.tabs = rng, unit, tabs
        self.out = []

    def ind(self, depth):
        return "\t" * depth if self.tabs else " " * (self.unit * depth)

    def name(self):
        return self.rng.choice(NAMES)

    def simple(self, d):
        r, n, i = self.rng, self.name, self.ind(d)
        k = r.randrange(14)
        if k == 0:
            return [f"{i}{n()} = {n()} + {r.randrange(9)}"]
        if k == 1:  # call continued in brackets at odd columns
            return [f"{i}{n()} = foo({n()},", " " * r.randrange(0, 13) + f"{n()},",
                    "\t" * r.randrange(0, 2) + " " * r.randrange(0, 5) + f"key={n()})"]
        if k == 2:  # backslash continuation
            return [f"{i}{n()} = {n()} + \\", " " * r.randrange(0, 11) + f"{n()}"]
        if k == 3:  # docstring / triple-quoted string with odd indentation
            return [f'{i}"""doc {n()}:', " " * r.randrange(0, 9) + "odd line", "", "\tx:",
                    f'{i}"""']
        if k == 4:  # comment at an odd column
            return [" " * r.randrange(0, 15) + f"# note {n()}", f"{i}pass"]
        if k == 5:
            return [f"{i}raise {n()}[1:2]"]
        if k == 6:  # dict with colons at line ends
            return [f"{i}{n()} = {{", " " * r.randrange(0, 7) + "'a':", "  1,", f"{i}}}"]
        if k == 7:
            return [f"{i}{n()} = lambda q: (q,", "   q)"]
        if k == 8:
            return [f"{i}{n()} = f'{{{n()}}}' + 'x\\'y' + r'z\\\\'"]
        if k == 9:
            return [f"{i}if {n()}: {n()} = 1; {n()} = 2"]
        if k == 10:  # continued single-quoted string
            return [f"{i}{n()} = 'abc\\", "   def'"]
        if k == 11:
            return [f"{i}{n()} = [", "  x for x in y", "        if x]"]
        if k == 12:
            return [f"{i}assert {n()}, ('msg'", "# comment in brackets", "  )"]
        return [f"{i}print({n()})"]

    def block(self, d, budget):
        lines = []
        for _ in range(self.rng.randrange(1, 4)):
            if budget > 0 and d < 6 and self.rng.random() < 0.45:
                lines += self.compound(d, budget - 1)
            else:
                lines += self.simple(d)
        return lines

    def compound(self, d, budget):
        r, n, i = self.rng, self.name, self.ind(d)
        k = r.randrange(9)
        if k == 0:
            return [f"{i}def {n()}({n()}, k=1):"] + self.block(d + 1, budget)
        if k == 1:
            return ([f"{i}class C{r.randrange(99)}(object):", f'{self.ind(d + 1)}"""Doc."""']
                    + self.block(d + 1, budget))
        if k == 2:
            out = [f"{i}if {n()} > 1:"] + self.block(d + 1, budget)
            if r.random() < 0.5:
                out += [f"{i}elif {n()}:"] + self.block(d + 1, budget)
            if r.random() < 0.5:
                out += [f"{i}else:"] + self.block(d + 1, budget)
            return out
        if k == 3:
            return ([f"{i}for {n()} in range(3):  # loop"] + self.block(d + 1, budget)
                    + ([f"{i}else:"] + self.block(d + 1, budget) if r.random() < 0.3 else []))
        if k == 4:
            return [f"{i}while {n()} and \\", "        " + f"{n()}:"] + self.block(d + 1, budget)
        if k == 5:
            out = [f"{i}try:"] + self.block(d + 1, budget)
            out += [f"{i}except (ValueError,", "  KeyError) as e:"] + self.block(d + 1, budget)
            if r.random() < 0.5:
                out += [f"{i}finally:"] + self.block(d + 1, budget)
            return out
        if k == 6:
            return [f"{i}with open({n()}) as f:"] + self.block(d + 1, budget)
        if k == 7:
            return [f"{i}@decorator({n()})", f"{i}def g(a: int = 1) -> int:"] + self.block(d + 1, budget)
        return [f"{i}match {n()}:", f"{self.ind(d + 1)}case [1, 2]:"] + self.block(d + 2, budget) + [
            f"{self.ind(d + 1)}case _:"] + self.block(d + 2, budget)


def generated(rng, count):
    out = []
    for k in range(count):
        g = Gen(rng, rng.choice([1, 2, 3, 4, 4, 4, 8]), rng.random() < 0.2)
        lines = []
        for _ in range(rng.randrange(3, 9)):
            lines += g.compound(0, 3) if rng.random() < 0.7 else g.simple(0)
        src = "\n".join(lines) + "\n"
        if k % 9 == 0:
            src = src.replace("\n", "\r\n")
        if k % 13 == 0:
            src = "\f\n" + src
        if k % 17 == 0:
            src = src.rstrip("\n")  # no trailing newline
        out.append(("gen%03d" % k, src))
    depth = 99  # the deepest stack CPython allows, and one more
    for d in (depth, depth + 2):
        src = "".join(" " * j + "if x:\n" for j in range(d)) + " " * d + "pass\n"
        out.append(("deep%d" % d, src))
    return out


# ----------------------------------------------------------------- mutations
def stmt_lines(src):
    """0-based indexes of the physical lines that start a logical line (CPython's tokens)."""
    starts, new = set(), True
    try:
        for t in tokenize.generate_tokens(io.StringIO(src).readline):
            if t.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                new = True
                continue
            if t.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING,
                          tokenize.ENDMARKER):
                continue
            if new:
                starts.add(t.start[0] - 1)
                new = False
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return sorted(starts)


def lead(line):
    k = 0
    while k < len(line) and line[k] in " \t\f":
        k += 1
    return line[:k], line[k:]


def mutate(rng, src, cls):
    """One mutation of class cls, or None when the file has no site for it."""
    nl = "\r\n" if "\r\n" in src else "\n"
    lines = src.split(nl)
    starts = [k for k in stmt_lines(src.replace("\r\n", "\n")) if k < len(lines)]
    anywhere = [k for k, l in enumerate(lines) if l.strip()]
    # half of the sites are statement starts, half any non-blank line (also inside strings
    # and brackets, where CPython does not look at the indentation)
    pool = starts if (starts and rng.random() < 0.7) else anywhere
    if not pool:
        return None
    k = rng.choice(pool)
    ws, rest = lead(lines[k])
    if cls == "over":
        ws += rng.choice([" ", "  ", "   ", "    ", "        ", "\t"])
    elif cls == "dedent":  # remove some columns
        if not ws:
            return None
        ws = ws[:rng.randrange(0, len(ws))]
    elif cls == "tabs":
        if "\t" in ws:
            ws = ws.replace("\t", " " * rng.choice([1, 4, 8]))
        elif len(ws) >= 1:
            n = len(ws)
            ws = rng.choice(["\t" * (n // 8) + " " * (n % 8), "\t" * ((n + 7) // 8),
                             " " * (n % 8) + "\t" * (n // 8), "\t" + ws[1:]])
        else:
            return None
    elif cls == "body":  # delete a line (a block body, a header...)
        del lines[k]
        return nl.join(lines)
    elif cls == "formfeed":
        ws = rng.choice(["\f", ws + "\f", "\f" + ws, ws[: len(ws) // 2] + "\f" + ws[len(ws) // 2:]])
    elif cls == "backslash":
        ws = ws + "\\" + nl + " " * rng.randrange(0, 9)
    elif cls == "newline":  # lone CR newlines, or a CR inside a line
        if rng.random() < 0.5:
            return src.replace(nl, "\r")
        rest = rest.replace(" ", "\r" + " " * rng.randrange(0, 9), 1)
    lines[k] = ws + rest
    return nl.join(lines)


CLASSES = ["over", "dedent", "tabs", "body", "formfeed", "backslash", "newline"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("workdir")
    ap.add_argument("--real", default="/usr/lib/python3.11")
    ap.add_argument("--real-glob", default="", help="recursive glob of more real files")
    ap.add_argument("--real-files", type=int, default=40)
    ap.add_argument("--mutations", type=int, default=8, help="per file and class")
    ap.add_argument("--gen-files", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.workdir, exist_ok=True)

    bases = generated(rng, a.gen_files)
    real = sorted(glob.glob(os.path.join(a.real, "*.py"))) if os.path.isdir(a.real) else []
    if a.real_glob:
        real = sorted(set(real) | set(glob.glob(a.real_glob, recursive=True)))
    rng.shuffle(real)
    for p in real[: a.real_files]:
        try:
            with open(p, "rb") as f:
                data = f.read()
            bases.append(("real:" + os.path.basename(p), data.decode("utf-8")))
        except (OSError, UnicodeDecodeError):
            pass

    # (name, class, source, cpython verdict, cpython line)
    items = []
    for name, src in bases:
        verdict, line = cpython(src)
        items.append((name, "original", src, verdict, line))
        if verdict != "ok":
            continue
        for cls in CLASSES:
            for _ in range(a.mutations):
                m = mutate(rng, src, cls)
                if m is None or m == src:
                    continue
                v, l = cpython(m)
                items.append((name, cls, m, v, l))

    paths = []
    for i, it in enumerate(items):
        p = os.path.join(a.workdir, "m%05d.py" % i)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(it[2])
        paths.append(p)
    results = []
    for b in range(0, len(paths), 400):
        chunk = paths[b: b + 400]
        cmd = [a.bin, "gates", "--lang", "python"]
        for p in chunk:
            cmd += ["--file", p]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode()
        got = [json.loads(l) for l in out.splitlines() if l.strip()]
        assert len(got) == len(chunk), (len(got), len(chunk))
        results += got

    table, origin = {}, {}
    fp, miss, line_same, line_n, line_diff = [], [], 0, 0, []
    for it, r in zip(items, results):
        name, cls, _, v, line = it
        o = origin.setdefault("real" if name.startswith("real:") else "generated", {})
        o = o.setdefault(v, {"n": 0, "checker": 0, "tree_sitter": 0})
        o["n"] += 1
        o["checker"] += r["indent_errors"] > 0
        o["tree_sitter"] += r["error_nodes"] + r["missing_nodes"] > 0
        t = table.setdefault(cls, {})
        c = t.setdefault(v, {"n": 0, "checker": 0, "gate": 0, "tree_sitter": 0})
        c["n"] += 1
        c["checker"] += r["indent_errors"] > 0
        c["gate"] += r["parse_errors"] > 0
        c["tree_sitter"] += r["error_nodes"] + r["missing_nodes"] > 0
        if v == "ok" and r["indent_errors"]:
            fp.append((r["file"], name, cls, r["indent_line"], r["indent_error"]))
        if v == "indent":
            line_n += 1
            line_same += r["indent_line"] == line
            if r["indent_line"] != line:
                line_diff.append((r["file"], name, cls, line, r["indent_line"], r["indent_error"]))
            if not r["indent_errors"]:
                miss.append((r["file"], name, cls, line))
    tot = {}
    for t in table.values():
        for v, c in t.items():
            s = tot.setdefault(v, {"n": 0, "checker": 0, "gate": 0, "tree_sitter": 0})
            for k in s:
                s[k] += c[k]
    n_ind = tot.get("indent", {}).get("n", 0)
    det = tot.get("indent", {}).get("checker", 0)
    report = {
        "bases": len(bases), "real_files": sum(1 for b in bases if b[0].startswith("real:")),
        "sources": len(items), "by_class": table, "by_origin": origin, "total": tot,
        "false_positives": len(fp), "indent_detected": det, "indent_files": n_ind,
        "detection_rate": det / n_ind if n_ind else 0.0,
        "first_line_agrees": line_same / line_n if line_n else 0.0,
        "fp_examples": fp[:10], "missed_examples": miss[:10], "line_differs": line_diff,
    }
    with open(os.path.join(a.workdir, "pyindent_agreement.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: report[k] for k in report if k not in ("by_class", "line_differs")},
                     indent=1))
    ok = True
    if fp:
        print("FAIL: %d files CPython accepts have indent_errors: %s" % (len(fp), fp[:5]))
        ok = False
    if n_ind < 300:
        print("FAIL: only %d IndentationError/TabError sources" % n_ind)
        ok = False
    elif det < 0.99 * n_ind:
        print("FAIL: detection %d/%d below 99 %%: %s" % (det, n_ind, miss[:5]))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
