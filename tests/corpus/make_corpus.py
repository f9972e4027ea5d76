#!/usr/bin/python3
"""make_corpus.py - a small, deterministic, generated code corpus for sciprune's tests.

Writes several hundred valid Python, JavaScript and C files of varied length and style, grouped
into "projects" that each have their own vocabulary and habits (so that k-means finds clusters
that are neither trivial nor random): classes, functions, imports, loops, comprehensions,
docstrings, comments, string formatting; CommonJS scripts and ES modules; C with includes,
structs, enums, macros and switch. A share of the files is unusual on purpose: generated tables
("DO NOT EDIT"), minified JavaScript, near-duplicates, comment-only files, deep nesting, very
long lines, unicode. Nothing here is copied from anywhere; the same seed gives the same bytes
(it does not depend on PYTHONHASHSEED or the Python version's set order).

tests/cases/golden/hashes.txt hashes the pipeline's outputs on this corpus (seed 1): a change to
what this script generates changes those hashes. Make such a change on its own, and regenerate
hashes.txt (tests/cases/golden/regen.sh) with code whose outputs are known good, never together
with a change of the pipeline.

  make_corpus.py --src DIR      write the source tree DIR/<project>/<file> (for `sciprune ingest`)
  make_corpus.py --shards DIR   write Stack-like shards DIR/corpus-NNN.jsonl
                                ({"id","content","lang","path","size"}, like `sciprune ingest`)
  make_corpus.py --check        generate in a temp folder and check every file: Python with
                                compile(), JavaScript with `node --check`, C with gcc -fsyntax-only
  options: --seed N (default 1), --scale F (file count factor, default 1.0), --docs-per-shard N
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

# ----------------------------------------------------------------------------- vocabulary

DOMAINS = {
    "inventory": ["item", "stock", "warehouse", "sku", "quantity", "shelf", "supplier", "order",
                  "reorder", "batch", "label", "price"],
    "geometry": ["point", "vector", "polygon", "area", "angle", "edge", "vertex", "radius",
                 "segment", "normal", "scale", "origin"],
    "http": ["request", "response", "header", "route", "status", "body", "cookie", "session",
             "handler", "query", "method", "endpoint"],
    "lexer": ["token", "lexer", "char", "position", "grammar", "symbol", "line", "column",
              "keyword", "literal", "buffer", "span"],
    "finance": ["account", "balance", "transaction", "ledger", "rate", "amount", "currency",
                "interest", "payment", "invoice", "fee", "audit"],
    "graph": ["node", "edge", "path", "visit", "weight", "neighbor", "queue", "parent", "cost",
              "frontier", "component", "degree"],
    "text": ["word", "sentence", "count", "stem", "corpus", "document", "vocab", "frequency",
             "phrase", "index", "stopword", "ngram"],
    "tasks": ["task", "worker", "job", "deadline", "priority", "retry", "slot", "timer", "lease",
              "backlog", "state", "result"],
    "config": ["setting", "option", "default", "env", "key", "value", "section", "profile",
               "override", "source", "schema", "flag"],
    "image": ["pixel", "width", "height", "channel", "color", "frame", "kernel", "palette",
              "stride", "alpha", "tile", "mask"],
    "stats": ["sample", "mean", "variance", "bucket", "histogram", "median", "quantile",
              "outlier", "series", "window", "total", "spread"],
    "game": ["player", "score", "board", "move", "turn", "level", "enemy", "health", "round",
             "card", "deck", "winner"],
}
VERBS = ["get", "set", "load", "save", "parse", "build", "compute", "update", "find", "check",
         "merge", "split", "format", "apply", "collect", "filter", "normalize", "render",
         "resolve", "emit", "reset", "validate", "encode", "decode", "count", "select"]
ADJ = ["max", "min", "total", "next", "prev", "current", "raw", "clean", "local", "global_",
       "active", "pending", "cached", "default", "last", "first"]
WORDS = ["alpha", "beta", "gamma", "delta", "north", "south", "red", "green", "blue", "apple",
         "river", "stone", "cloud", "paper", "silver", "orange", "maple", "coral", "ember"]
PY_EXC = ["ValueError", "KeyError", "TypeError", "IndexError", "RuntimeError", "OSError"]


def camel(words):
    return "".join(w[:1].upper() + w[1:] for w in words)


def lower_camel(words):
    c = camel(words)
    return c[:1].lower() + c[1:]


# never generated as a name: keywords of the three languages and the builtins the code calls
RESERVED = set("""
and as assert async await break case catch char class const continue debugger def default del
delete do double elif else enum except export extends extern false finally float for from
function global goto if import in inline instanceof int interface is lambda let long new none
nonlocal not null of or pass private protected public raise register restrict return short
signed sizeof static struct super switch this throw true try typedef typeof union unsigned var
void volatile while with yield abs dict enumerate isinstance len list max min open print range
sorted str sum main printf puts snprintf strlen memset index time round
""".split())


class Namer:
    """Fresh identifiers from a domain's vocabulary, never twice in one file, never reserved."""

    def __init__(self, rng, domain):
        self.rng, self.vocab, self.used = rng, DOMAINS[domain], set()

    def _fresh(self, make):
        for _ in range(200):
            n = make()
            if n not in self.used and n.lower() not in RESERVED:
                self.used.add(n)
                return n
        n = make() + "_%d" % len(self.used)
        self.used.add(n)
        return n

    def noun(self):
        return self.rng.choice(self.vocab)

    def var(self, style="snake"):
        r = self.rng

        def make():
            k = r.random()
            if k < 0.45:
                w = [self.noun()]
            elif k < 0.8:
                w = [r.choice(ADJ).rstrip("_"), self.noun()]
            else:
                w = [self.noun(), r.choice(["count", "list", "map", "ids", "names", "total"])]
            return "_".join(w) if style == "snake" else lower_camel(w)
        return self._fresh(make)

    def func(self, style="snake"):
        r = self.rng

        def make():
            w = [r.choice(VERBS), self.noun()]
            if r.random() < 0.3:
                w.append(r.choice(["all", "by_key", "once", "safe", "fast", "items"]).split("_")[-1])
            return "_".join(w) if style == "snake" else lower_camel(w)
        return self._fresh(make)

    def cls(self):
        r = self.rng
        return self._fresh(lambda: camel([self.noun()] + ([r.choice(
            ["manager", "store", "builder", "parser", "cache", "view", "pool", "record", "table"])]
            if r.random() < 0.7 else [])))

    def const(self):
        r = self.rng
        return self._fresh(lambda: "_".join([r.choice(ADJ).rstrip("_"), self.noun()]).upper())


def words_text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


# ----------------------------------------------------------------------------- Python

class PyGen:
    """One Python module. Scope tracking keeps every name that is read bound in the file."""

    def __init__(self, rng, domain, style):
        self.r, self.n, self.style = rng, Namer(rng, domain), style
        self.indent_unit = rng.choice(["    ", "    ", "    ", "  "])
        self.typed = style == "typed" or rng.random() < 0.2
        self.quote = rng.choice(['"', "'"])
        self.imports = []
        self.mods = set()
        self.lines = []
        self.funcs = []  # (name, nparams) callable at module level

    def q(self, s):
        return self.quote + s.replace("\\", "\\\\").replace(self.quote, "\\" + self.quote) + self.quote

    def use(self, mod):
        if mod not in self.mods:
            self.mods.add(mod)
            self.imports.append(mod)

    # -- expressions over a scope: {"num": [...], "str": [...], "list": [...], "dict": [...]}
    def num(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["num"] and k < 0.4:
            return r.choice(sc["num"])
        if k < 0.55 or d > 1:
            return str(r.choice([0, 1, 2, 3, 5, 8, 10, 16, 42, 100, 255, 1000]))
        if sc["list"] and k < 0.7:
            return "len(%s)" % r.choice(sc["list"])
        if k < 0.8 and sc["num"]:
            return "%s %s %s" % (self.num(sc, d + 1), r.choice(["+", "-", "*", "//", "%"]),
                                 r.choice(["1", "2", "3", "7"]))
        if "math" in self.mods and k < 0.88:
            return "int(math.sqrt(abs(%s) + 1))" % self.num(sc, d + 1)
        return "abs(%s)" % self.num(sc, d + 1)

    def strx(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["str"] and k < 0.3:
            return r.choice(sc["str"])
        if k < 0.45 or d > 1:
            return self.q(r.choice([self.n.noun(), words_text(r, 2), "%s-%s" % (self.n.noun(), r.randint(1, 99))]))
        if k < 0.6:
            return "f%s" % self.q("%s {%s}" % (self.n.noun(), self.num(sc, 2)))
        if k < 0.7:
            return "%s %% (%s, %s)" % (self.q("%s: %%s (%%d)" % self.n.noun()), self.strx(sc, 2), self.num(sc, 2))
        if k < 0.8:
            return "%s.format(%s, %s)" % (self.q("{}/{}"), self.strx(sc, 2), self.num(sc, 2))
        if sc["str"] and k < 0.9:
            return "%s.%s()" % (r.choice(sc["str"]), r.choice(["strip", "lower", "upper", "title"]))
        return "str(%s)" % self.num(sc, d + 1)

    def listx(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["list"] and k < 0.35:
            return r.choice(sc["list"])
        if k < 0.5 or not sc["list"]:
            return "[%s]" % ", ".join(self.num(sc, 2) for _ in range(r.randint(0, 4)))
        src = r.choice(sc["list"])
        v = r.choice(["x", "item", "v", "entry", "n"])
        if k < 0.75:
            cond = " if %s %s %s" % (v, r.choice([">", "<", "!=", ">="]), r.randint(0, 9)) if r.random() < 0.5 else ""
            return "[%s %s %s for %s in %s%s]" % (v, r.choice(["*", "+", "-"]), r.randint(1, 5), v, src, cond)
        if k < 0.85:
            return "sorted(%s%s)" % (src, ", reverse=True" if r.random() < 0.3 else "")
        return "list(range(%s))" % self.num(sc, 2)

    def dictx(self, sc, d=0):
        r = self.r
        if sc["dict"] and r.random() < 0.4:
            return r.choice(sc["dict"])
        if sc["list"] and r.random() < 0.4:
            return "{i: v for i, v in enumerate(%s)}" % r.choice(sc["list"])
        return "{%s}" % ", ".join("%s: %s" % (self.q(self.n.noun() + str(i)), self.num(sc, 2))
                                 for i in range(r.randint(0, 3)))

    def boolx(self, sc):
        r = self.r
        k = r.random()
        if k < 0.4 or not sc["list"]:
            return "%s %s %s" % (self.num(sc, 1), r.choice(["<", ">", "<=", ">=", "==", "!="]), self.num(sc, 1))
        if k < 0.6:
            return "%s in %s" % (self.num(sc, 1), r.choice(sc["list"]))
        if k < 0.75:
            return "not %s" % r.choice(sc["list"])
        if k < 0.9 and sc["str"]:
            return "%s.startswith(%s)" % (r.choice(sc["str"]), self.q(r.choice(WORDS)[:2]))
        return "isinstance(%s, int)" % self.num(sc, 1)

    def expr_of(self, kind, sc):
        return {"num": self.num, "str": self.strx, "list": self.listx, "dict": self.dictx}[kind](sc)

    # -- statements
    def stmts(self, sc, depth, n, ind, in_loop=False):
        out = []
        for _ in range(n):
            out += self.stmt(sc, depth, ind, in_loop)
        return out

    def stmt(self, sc, depth, ind, in_loop):
        r = self.r
        I = self.indent_unit * ind
        k = r.random()
        if depth > 3:
            k = r.random() * 0.45
        if k < 0.3:
            kind = r.choice(["num", "num", "str", "list", "dict"])
            v = self.n.var()
            ann = ""
            if self.typed and r.random() < 0.4:
                ann = ": " + {"num": "int", "str": "str", "list": "list", "dict": "dict"}[kind]
            line = "%s%s%s = %s" % (I, v, ann, self.expr_of(kind, sc))
            sc[kind].append(v)
            return [line]
        if k < 0.38 and sc["num"]:
            return ["%s%s %s= %s" % (I, r.choice(sc["num"]), r.choice(["+", "-", "*"]), self.num(sc, 1))]
        if k < 0.44 and sc["list"]:
            return ["%s%s.append(%s)" % (I, r.choice(sc["list"]), self.num(sc, 1))]
        if k < 0.48 and sc["dict"]:
            return ["%s%s[%s] = %s" % (I, r.choice(sc["dict"]), self.strx(sc, 1), self.num(sc, 1))]
        if k < 0.53:
            if "logging" in self.mods and r.random() < 0.5:
                return ["%slogger.%s(%s, %s)" % (I, r.choice(["info", "debug", "warning"]),
                                                 self.q("%s %%s" % self.n.noun()), self.strx(sc, 1))]
            return ["%sprint(%s)" % (I, self.strx(sc, 1))]
        if k < 0.56:
            return ["%s# %s" % (I, r.choice([
                "TODO: %s the %s" % (r.choice(VERBS), self.n.noun()),
                "%s %s before %s" % (r.choice(VERBS), self.n.noun(), r.choice(VERBS)),
                "NOTE: keep this in sync with the %s" % self.n.noun(),
                words_text(r, r.randint(3, 8))]))] + self.stmt(sc, depth, ind, in_loop)
        if k < 0.68:
            out = ["%sif %s:" % (I, self.boolx(sc))]
            out += self.block(sc, depth, ind, in_loop)
            if r.random() < 0.3:
                out.append("%selif %s:" % (I, self.boolx(sc)))
                out += self.block(sc, depth, ind, in_loop)
            if r.random() < 0.4:
                out.append("%selse:" % I)
                out += self.block(sc, depth, ind, in_loop)
            return out
        if k < 0.8:
            v = r.choice(["i", "idx", "item", "entry", "value", "key", "pos"]) + ("" if depth == 0 else str(depth))
            kk = r.random()
            inner = {x: list(y) for x, y in sc.items()}
            if sc["list"] and kk < 0.4:
                head = "for %s in %s:" % (v, r.choice(sc["list"]))
                inner["num"].append(v)
            elif sc["list"] and kk < 0.55:
                head = "for %s_i, %s in enumerate(%s):" % (v, v, r.choice(sc["list"]))
                inner["num"] += [v, v + "_i"]
            elif sc["dict"] and kk < 0.7:
                head = "for %s_k, %s in %s.items():" % (v, v, r.choice(sc["dict"]))
                inner["str"].append(v + "_k")
                inner["num"].append(v)
            else:
                head = "for %s in range(%s):" % (v, self.num(sc, 1))
                inner["num"].append(v)
            out = ["%s%s" % (I, head)] + self.block(inner, depth, ind, True)
            return out
        if k < 0.85:
            v = self.n.var()
            out = ["%s%s = %d" % (I, v, r.randint(0, 3)), "%swhile %s < %s:" % (I, v, r.randint(4, 20))]
            sc2 = {x: list(y) for x, y in sc.items()}
            sc2["num"].append(v)
            body = self.stmts(sc2, depth + 1, r.randint(1, 3), ind + 1, True)
            body.append("%s%s += 1" % (self.indent_unit * (ind + 1), v))
            sc["num"].append(v)
            return out + body
        if k < 0.9:
            exc = r.choice(PY_EXC)
            out = ["%stry:" % I] + self.block(sc, depth, ind, in_loop)
            out.append("%sexcept %s as exc:" % (I, exc))
            sc2 = {x: list(y) for x, y in sc.items()}
            sc2["str"].append("str(exc)")
            out += self.block(sc2, depth, ind, in_loop)
            if r.random() < 0.3:
                out += ["%sfinally:" % I] + self.block(sc, depth, ind, in_loop)
            return out
        if k < 0.93 and sc["str"]:
            fh = r.choice(["fh", "f", "handle", "stream"])
            v = self.n.var()
            out = ["%swith open(%s, encoding=%s) as %s:" % (I, r.choice(sc["str"]), self.q("utf-8"), fh),
                   "%s%s = %s.read().splitlines()" % (I + self.indent_unit, v, fh)]
            sc["list"].append(v)
            return out
        if k < 0.96 and in_loop:
            return ["%sif %s:" % (I, self.boolx(sc)), "%s%s" % (I + self.indent_unit, r.choice(["break", "continue"]))]
        if self.funcs and k < 0.99:
            f, np_ = r.choice(self.funcs)
            v = self.n.var()
            sc["num"].append(v)  # every generated function returns something printable/numeric-ish
            return ["%s%s = %s(%s)" % (I, v, f, ", ".join(self.num(sc, 1) for _ in range(np_)))]
        return ["%sassert %s, %s" % (I, self.boolx(sc), self.q("bad %s" % self.n.noun()))]

    def block(self, sc, depth, ind, in_loop):
        sc2 = {x: list(y) for x, y in sc.items()}
        b = self.stmts(sc2, depth + 1, self.r.randint(1, 3), ind + 1, in_loop)
        return b or [self.indent_unit * (ind + 1) + "pass"]

    def docstring(self, ind, what):
        r = self.r
        I = self.indent_unit * ind
        if r.random() < 0.5:
            return ['%s"""%s %s."""' % (I, what, words_text(r, r.randint(2, 6)))]
        return ['%s"""%s %s.' % (I, what, words_text(r, r.randint(2, 5))), "",
                "%s%s" % (I, words_text(r, r.randint(5, 12))), '%s"""' % I]

    def function(self, ind, name=None, method=False, nbody=None):
        r = self.r
        I = self.indent_unit * ind
        name = name or self.n.func()
        params = [self.n.var() for _ in range(r.randint(0, 3))]
        sc = {"num": [], "str": [], "list": [], "dict": []}
        ps = []
        for i, p in enumerate(params):
            kind = r.choice(["num", "num", "str", "list"])
            sc[kind].append(p)
            t = {"num": "int", "str": "str", "list": "list"}[kind]
            s = p + (": " + t if self.typed else "")
            if i == len(params) - 1 and r.random() < 0.3:
                s += (" = " if self.typed else "=") + {"num": "0", "str": self.q(""), "list": "None"}[kind]
                if kind == "list":
                    sc["list"].remove(p)
            ps.append(s)
        if method:
            ps.insert(0, "self")
            for a, kind in self.attrs:
                sc[kind].append("self." + a)
        ret = " -> int" if self.typed and r.random() < 0.5 else ""
        out = []
        if method and r.random() < 0.1:
            out.append(I + "@property" if not params else I + "@functools.lru_cache(maxsize=None)")
            if params:
                self.use("functools")
        out.append("%sdef %s(%s)%s:" % (I, name, ", ".join(ps), ret))
        if r.random() < 0.6:
            out += self.docstring(ind + 1, "%s the %s" % (name.split("_")[0].title(), self.n.noun()))
        nb = nbody if nbody is not None else r.randint(1, 8)
        out += self.stmts(sc, 1, nb, ind + 1)
        out.append("%sreturn %s" % (I + self.indent_unit, self.num(sc, 0) if ret or r.random() < 0.6
                                     else self.expr_of(r.choice(["str", "list", "dict"]), sc)))
        if not method:
            self.funcs.append((name, len(params)))
        return out

    def klass(self):
        r = self.r
        I = self.indent_unit
        name = self.n.cls()
        out = []
        dc = self.style == "typed" and r.random() < 0.5
        self.attrs = []
        if dc:
            self.use("dataclasses")
            out.append("@dataclasses.dataclass")
            out.append("class %s:" % name)
            out += self.docstring(1, "A %s" % self.n.noun())
            for _ in range(r.randint(1, 5)):
                a = self.n.var()
                kind = r.choice(["num", "str"])
                self.attrs.append((a, kind))
                out.append("%s%s: %s = %s" % (I, a, "int" if kind == "num" else "str",
                                               r.randint(0, 9) if kind == "num" else self.q(r.choice(WORDS))))
        else:
            base = ""
            if r.random() < 0.3:
                base = "(%s)" % r.choice(["object", "Exception", "dict"]) if r.random() < 0.5 else ""
            out.append("class %s%s:" % (name, base))
            if r.random() < 0.7:
                out += self.docstring(1, "The %s %s" % (self.n.noun(), r.choice(["store", "helper", "state"])))
            if r.random() < 0.3:
                out.append("%s%s = %s" % (I, self.n.const(), r.randint(1, 64)))
            init = ["%sdef __init__(self%s):" % (I, "")]
            for _ in range(r.randint(1, 5)):
                a = self.n.var()
                kind = r.choice(["num", "str", "list", "dict"])
                self.attrs.append((a, kind))
                init.append("%sself.%s = %s" % (I * 2, a, {"num": str(r.randint(0, 9)), "str": self.q(r.choice(WORDS)),
                                                           "list": "[]", "dict": "{}"}[kind]))
            out += [""] + init
        for _ in range(r.choice([1, 1, 2, 2, 3, 4, 6])):
            out.append("")
            out += self.function(1, method=True)
        if r.random() < 0.5:
            a = self.attrs[0][0]
            out += ["", "%sdef __repr__(self):" % I,
                    "%sreturn f%s" % (I * 2, self.q("%s(%s={self.%s!r})" % (name, a, a)))]
        if r.random() < 0.3:
            out += ["", "%s@staticmethod" % I, "%sdef %s(value):" % (I, self.n.func()),
                    "%sreturn [value] * %d" % (I * 2, r.randint(1, 4))]
        self.attrs = []
        return out, name

    def module(self, size):
        r = self.r
        body = []
        for m in r.sample(["os", "sys", "re", "json", "math", "logging", "collections", "itertools"], r.randint(0, 4)):
            self.use(m)
        if "logging" in self.mods:
            body += ["", "logger = logging.getLogger(__name__)"]
        consts = []
        for _ in range(r.randint(0, 3)):
            c = self.n.const()
            consts.append(c)
            body.append("%s = %s" % (c, r.choice([str(r.randint(1, 500)), self.q(r.choice(WORDS)),
                                                  "(%s)" % ", ".join(self.q(w) for w in r.sample(WORDS, 3))])))
        classes = []
        for _ in range(size):
            body += ["", ""]
            if self.style in ("oop", "typed") and r.random() < 0.4 or self.style == "mixed" and r.random() < 0.3:
                c, name = self.klass()
                body += c
                classes.append(name)
            else:
                body += self.function(0)
        if self.style == "script" or r.random() < 0.3:
            sc = {"num": [], "str": [], "list": [], "dict": []}
            main = ["", "", "def main(argv=None):"]
            if "sys" in self.mods:
                main.append(self.indent_unit + "argv = sys.argv[1:] if argv is None else argv")
                sc["list"].append("argv")
            main += self.stmts(sc, 1, r.randint(1, 5), 1)
            for c in classes[:2]:
                main.append("%sprint(%s())" % (self.indent_unit, c) if r.random() < 0.2 else "%sprint(%s)" % (self.indent_unit, self.q(c)))
            main.append(self.indent_unit + "return 0")
            main += ["", "", "if __name__ == %s:" % self.q("__main__"),
                     self.indent_unit + ("sys.exit(main())" if "sys" in self.mods else "main()")]
            body += main
        head = []
        if r.random() < 0.15:
            head.append("#!/usr/bin/env python3")
        if r.random() < 0.1:
            head.append("# -*- coding: utf-8 -*-")
        if r.random() < 0.7:
            head += self.docstring(0, "%s utilities" % self.n.noun().title())
        if r.random() < 0.3:
            head.append("from __future__ import annotations")
        imps = sorted(self.imports) if r.random() < 0.7 else self.imports
        if r.random() < 0.3 and len(imps) > 1:
            head.append("import " + ", ".join(imps))
        else:
            head += ["import " + m for m in imps]
        if r.random() < 0.2:
            head.append("from typing import Any, Dict, List, Optional")
        return "\n".join(head + body).lstrip("\n") + "\n"


def py_test_module(rng, domain):
    g = PyGen(rng, domain, "functional")
    n = g.n
    lines = ["import unittest", ""]
    funcs = []
    for _ in range(rng.randint(1, 4)):
        lines += ["", ""] + g.function(0)
        funcs.append(g.funcs[-1])
    lines += ["", "", "class %sTest(unittest.TestCase):" % camel([n.noun()])]
    if rng.random() < 0.5:
        lines += ["", "    def setUp(self):", "        self.%s = [%s]" % (n.var(), ", ".join(str(rng.randint(0, 9)) for _ in range(3)))]
    for f, k in funcs:
        for case in range(rng.randint(1, 3)):
            args = ", ".join(str(rng.randint(0, 20)) for _ in range(k))
            lines += ["", "    def test_%s_%d(self):" % (f, case),
                      "        result = %s(%s)" % (f, args),
                      "        self.%s" % rng.choice(["assertIsNotNone(result)", "assertTrue(result is not None)",
                                                      "assertEqual(result, result)"])]
    lines += ["", "", "if __name__ == \"__main__\":", "    unittest.main()"]
    return "\n".join(lines) + "\n"


def py_generated_table(rng, domain):
    n = Namer(rng, domain)
    name = n.const()
    rows = rng.randint(40, 300)
    lines = ["# This file was generated by tablegen %d.%d. DO NOT EDIT." % (rng.randint(1, 3), rng.randint(0, 9)),
             "# source: %s.csv" % n.noun(), "", "%s = [" % name]
    for i in range(rows):
        lines.append("    (%d, %r, %d, %.3f)," % (i, "%s_%d" % (n.noun(), i), rng.randint(0, 1 << 16), rng.random() * 100))
    lines += ["]", "", "%s_BY_ID = {row[0]: row for row in %s}" % (name, name)]
    return "\n".join(lines) + "\n"


def py_odd(rng, domain, i):
    n = Namer(rng, domain)
    kind = i % 8
    if kind == 0:
        return "# %s\n# %s\n" % (words_text(rng, 6), words_text(rng, 9))
    if kind == 1:
        return "pass\n"
    if kind == 2:  # deep nesting
        depth = rng.randint(15, 30)
        out = ["def %s(x):" % n.func()]
        for d in range(depth):
            out.append("    " * (d + 1) + "if x > %d:" % d)
        out.append("    " * (depth + 1) + "return %d" % depth)
        out.append("    return -1")
        return "\n".join(out) + "\n"
    if kind == 3:  # one very long line
        v = n.var()
        return "%s = [%s]\nprint(len(%s))\n" % (v, ", ".join(str(rng.randint(0, 999)) for _ in range(rng.randint(300, 900))), v)
    if kind == 4:  # unicode identifiers and strings
        return ("π = 3.14159\nτ = 2 * π\nnaïve = \"déjà vu — %s\"\n\ndef größe(r):\n    \"\"\"Fläche ✓\"\"\"\n"
                "    return π * r ** 2\n\nprint(naïve, größe(τ))\n") % rng.choice(WORDS)
    if kind == 5:  # semicolons and lambdas
        fs = [n.func() for _ in range(rng.randint(3, 8))]
        out = ["%s = lambda x, y=%d: (x + y) * %d" % (f, rng.randint(0, 9), rng.randint(1, 9)) for f in fs]
        out.append("a = 1; b = 2; c = a + b")
        out.append("print(%s)" % " + ".join("%s(%d)" % (f, rng.randint(0, 5)) for f in fs))
        return "\n".join(out) + "\n"
    if kind == 6:  # decorators, nested functions, closures, generators, global/nonlocal
        f = n.func()
        return ("import functools\n\n\ndef %s(fn):\n    calls = 0\n\n    @functools.wraps(fn)\n"
                "    def wrapper(*args, **kwargs):\n        nonlocal calls\n        calls += 1\n"
                "        return fn(*args, **kwargs)\n    return wrapper\n\n\n@%s\ndef gen(n):\n"
                "    yield from (i * i for i in range(n))\n\n\nCOUNTER = 0\n\n\ndef bump():\n"
                "    global COUNTER\n    COUNTER += 1\n    return COUNTER\n\n\nprint(list(gen(%d)), bump())\n") % (f, f, rng.randint(2, 9))
    # kind 7: async, the walrus operator, star-args
    return ("import asyncio\n\n\nasync def main_task(items):\n    total = 0\n    for item in items:\n"
            "        await asyncio.sleep(0)\n        if (n := len(str(item))) > %d:\n            total += n\n"
            "    return total\n\n\ndef spread(*args, **kw):\n    return [*args, *kw.values()]\n\n\n"
            "if __name__ == '__main__':\n    print(asyncio.run(main_task(spread(1, 22, x=333))))\n") % rng.randint(0, 3)


# ----------------------------------------------------------------------------- JavaScript

class JsGen:
    def __init__(self, rng, domain, esm):
        self.r, self.n, self.esm = rng, Namer(rng, domain), esm
        self.semi = rng.random() < 0.85 or esm == "min"
        self.q = rng.choice(["'", '"'])
        self.ind = rng.choice(["  ", "  ", "    ", "\t"])
        self.funcs = []
        self.modvars = []

    def s(self, text):
        return self.q + text.replace(self.q, "\\" + self.q) + self.q

    def end(self):
        return ";" if self.semi else ""

    def num(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["num"] and k < 0.4:
            return r.choice(sc["num"])
        if k < 0.55 or d > 1:
            return str(r.choice([0, 1, 2, 3, 10, 16, 42, 100, 255, 1024]))
        if sc["arr"] and k < 0.7:
            return "%s.length" % r.choice(sc["arr"])
        if k < 0.85:
            return "(%s %s %s)" % (self.num(sc, d + 1), r.choice(["+", "-", "*", "%", "|", "&"]), r.randint(1, 9))
        return "Math.%s(%s)" % (r.choice(["floor", "abs", "round", "ceil"]), self.num(sc, d + 1))

    def strx(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["str"] and k < 0.3:
            return r.choice(sc["str"])
        if k < 0.5 or d > 1:
            return self.s(r.choice([self.n.noun(), words_text(r, 2)]))
        if k < 0.7:
            return "`%s ${%s}`" % (self.n.noun(), self.num(sc, 2))
        if k < 0.85:
            return "%s + %s" % (self.s(self.n.noun() + ":"), self.num(sc, 2))
        if sc["arr"]:
            return "%s.join(%s)" % (r.choice(sc["arr"]), self.s(", "))
        return "String(%s)" % self.num(sc, 2)

    def arrx(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc["arr"] and k < 0.3:
            return r.choice(sc["arr"])
        if k < 0.5 or not sc["arr"]:
            return "[%s]" % ", ".join(self.num(sc, 2) for _ in range(r.randint(0, 4)))
        a = r.choice(sc["arr"])
        v = r.choice(["x", "v", "item", "n"])
        if k < 0.7:
            return "%s.map((%s) => %s * %d)" % (a, v, v, r.randint(2, 5))
        if k < 0.85:
            return "%s.filter(%s => %s %s %d)" % (a, v, v, r.choice([">", "<", "!==", ">="]), r.randint(0, 9))
        return "[...%s, %s]" % (a, self.num(sc, 2))

    def objx(self, sc):
        r = self.r
        if sc["obj"] and r.random() < 0.3:
            return r.choice(sc["obj"])
        return "{ %s }" % ", ".join("%s: %s" % (self.n.noun() + str(i), self.num(sc, 2)) for i in range(r.randint(0, 3)))

    def boolx(self, sc):
        r = self.r
        k = r.random()
        if k < 0.5 or not sc["arr"]:
            return "%s %s %s" % (self.num(sc, 1), r.choice(["<", ">", "<=", ">=", "===", "!=="]), self.num(sc, 1))
        if k < 0.7:
            return "%s.includes(%s)" % (r.choice(sc["arr"]), self.num(sc, 1))
        if k < 0.85 and sc["str"]:
            return "%s.startsWith(%s)" % (r.choice(sc["str"]), self.s(r.choice(WORDS)[:2]))
        return "Array.isArray(%s)" % r.choice(sc["arr"])

    def expr_of(self, kind, sc):
        return {"num": self.num, "str": self.strx, "arr": self.arrx, "obj": self.objx}[kind](sc)

    def stmts(self, sc, depth, n, ind, in_loop=False):
        out = []
        for _ in range(n):
            out += self.stmt(sc, depth, ind, in_loop)
        return out

    def block(self, sc, depth, ind, in_loop):
        sc2 = {x: list(y) for x, y in sc.items()}
        return self.stmts(sc2, depth + 1, self.r.randint(1, 3), ind + 1, in_loop)

    def stmt(self, sc, depth, ind, in_loop):
        r = self.r
        I = self.ind * ind
        E = self.end()
        k = r.random()
        if depth > 3:
            k = r.random() * 0.45
        if k < 0.3:
            kind = r.choice(["num", "num", "str", "arr", "obj"])
            v = self.n.var("camel")
            sc[kind].append(v)
            return ["%s%s %s = %s%s" % (I, r.choice(["const", "let", "let"]) if kind != "num" else "let", v, self.expr_of(kind, sc), E)]
        if k < 0.38 and sc["num"]:
            return ["%s%s %s= %s%s" % (I, r.choice(sc["num"]), r.choice(["+", "-", "*"]), self.num(sc, 1), E)]
        if k < 0.44 and sc["arr"]:
            return ["%s%s.push(%s)%s" % (I, r.choice(sc["arr"]), self.num(sc, 1), E)]
        if k < 0.5:
            return ["%sconsole.%s(%s)%s" % (I, r.choice(["log", "log", "warn", "error"]), self.strx(sc, 1), E)]
        if k < 0.53:
            return ["%s// %s" % (I, r.choice(["TODO: %s %s" % (r.choice(VERBS), self.n.noun()), words_text(r, r.randint(3, 8))]))] \
                + self.stmt(sc, depth, ind, in_loop)
        if k < 0.65:
            out = ["%sif (%s) {" % (I, self.boolx(sc))] + self.block(sc, depth, ind, in_loop)
            if r.random() < 0.4:
                out += ["%s} else {" % I] + self.block(sc, depth, ind, in_loop)
            return out + ["%s}" % I]
        if k < 0.76:
            sc2 = {x: list(y) for x, y in sc.items()}
            v = r.choice(["i", "j", "k", "idx"]) + ("" if depth == 0 else str(depth))
            if sc["arr"] and r.random() < 0.5:
                head = "for (const %s of %s) {" % (v, r.choice(sc["arr"]))
            elif sc["obj"] and r.random() < 0.3:
                head = "for (const %s in %s) {" % (v, r.choice(sc["obj"]))
                sc2["str"].append(v)
                return ["%s%s" % (I, head)] + self.block(sc2, depth, ind, True) + ["%s}" % I]
            else:
                head = "for (let %s = 0; %s < %s; %s++) {" % (v, v, self.num(sc, 1), v)
            sc2["num"].append(v)
            return ["%s%s" % (I, head)] + self.block(sc2, depth, ind, True) + ["%s}" % I]
        if k < 0.82:
            v = self.n.var("camel")
            out = ["%sswitch (%s) {" % (I, self.num(sc, 1))]
            for c in r.sample(range(10), r.randint(1, 4)):
                out.append("%s%scase %d:" % (I, self.ind, c))
                out += self.stmts({x: list(y) for x, y in sc.items()}, depth + 2, r.randint(1, 2), ind + 2)
                out.append("%s%sbreak%s" % (I, self.ind * 2, E))
            if r.random() < 0.6:
                out += ["%s%sdefault:" % (I, self.ind), "%s%sbreak%s" % (I, self.ind * 2, E)]
            return out + ["%s}" % I]
        if k < 0.87:
            out = ["%stry {" % I] + self.block(sc, depth, ind, in_loop)
            out.append("%s} catch (err) {" % I)
            sc2 = {x: list(y) for x, y in sc.items()}
            sc2["str"].append("err.message")
            out += self.block(sc2, depth, ind, in_loop) + ["%s}" % I]
            return out
        if k < 0.9 and in_loop:
            return ["%sif (%s) %s%s" % (I, self.boolx(sc), r.choice(["break", "continue"]), E)]
        if k < 0.94 and sc["obj"]:
            o = r.choice(sc["obj"])
            return ["%s%s.%s = %s%s" % (I, o, self.n.noun(), self.num(sc, 1), E)]
        if self.funcs and k < 0.98:
            f, np_ = r.choice(self.funcs)
            v = self.n.var("camel")
            sc["num"].append(v)
            return ["%sconst %s = %s(%s)%s" % (I, v, f, ", ".join(self.num(sc, 1) for _ in range(np_)), E)]
        v = self.n.var("camel")
        sc["num"].append(v)
        return ["%sconst %s = %s ? %s : %s%s" % (I, v, self.boolx(sc), self.num(sc, 1), self.num(sc, 1), E)]

    def function(self, ind, method=False):
        r = self.r
        I = self.ind * ind
        E = self.end()
        name = self.n.func("camel")
        params = [self.n.var("camel") for _ in range(r.randint(0, 3))]
        sc = {"num": [], "str": [], "arr": [], "obj": []}
        for p in params:
            sc[r.choice(["num", "num", "str", "arr"])].append(p)
        if method:
            for a, kind in self.attrs:
                sc[kind].append("this." + a)
        for m in self.modvars:
            sc["num"].append(m)
        out = []
        if r.random() < 0.4:
            out += ["%s/**" % I, "%s * %s the %s." % (I, name[:1].upper() + name[1:], self.n.noun())]
            out += ["%s * @param {%s} %s" % (I, r.choice(["number", "string", "Array"]), p) for p in params]
            out += ["%s */" % I]
        style = "method" if method else r.choice(["decl", "decl", "arrow", "async"])
        if style == "method":
            out.append("%s%s%s(%s) {" % (I, "async " if r.random() < 0.1 else "", name, ", ".join(params)))
        elif style == "arrow":
            out.append("%sconst %s = (%s) => {" % (I, name, ", ".join(params)))
        elif style == "async":
            out.append("%sasync function %s(%s) {" % (I, name, ", ".join(params)))
            out.append("%s%sawait Promise.resolve(%s)%s" % (I, self.ind, self.num(sc, 1), E))
        else:
            out.append("%sfunction %s(%s) {" % (I, name, ", ".join(params)))
        out += self.stmts(sc, 1, r.randint(1, 7), ind + 1)
        out.append("%s%sreturn %s%s" % (I, self.ind, self.expr_of(r.choice(["num", "num", "str", "arr", "obj"]), sc), E))
        out.append("%s}%s" % (I, E if style == "arrow" else ""))
        if not method:
            self.funcs.append((name, len(params)))
        return out

    def klass(self):
        r = self.r
        name = self.n.cls()
        self.attrs = []
        ext = " extends %s" % r.choice(["Error", "Map", "Array"]) if r.random() < 0.15 else ""
        out = ["class %s%s {" % (name, ext), "%sconstructor() {" % self.ind]
        if ext:
            out.append("%ssuper()%s" % (self.ind * 2, self.end()))
        for _ in range(r.randint(1, 4)):
            a = self.n.var("camel")
            kind = r.choice(["num", "str", "arr", "obj"])
            self.attrs.append((a, kind))
            out.append("%sthis.%s = %s%s" % (self.ind * 2, a, {"num": str(r.randint(0, 9)), "str": self.s(r.choice(WORDS)),
                                                             "arr": "[]", "obj": "{}"}[kind], self.end()))
        out.append("%s}" % self.ind)
        for _ in range(r.randint(1, 5)):
            out.append("")
            out += self.function(1, method=True)
        if r.random() < 0.4:
            a = self.attrs[0][0]
            out += ["", "%sget %sValue() {" % (self.ind, a), "%sreturn this.%s%s" % (self.ind * 2, a, self.end()), "%s}" % self.ind]
        if r.random() < 0.3:
            out += ["", "%sstatic create() {" % self.ind, "%sreturn new %s()%s" % (self.ind * 2, name, self.end()), "%s}" % self.ind]
        out.append("}")
        self.attrs = []
        return out, name

    def module(self, size):
        r = self.r
        E = self.end()
        head = []
        if self.esm != "esm" and r.random() < 0.6:
            head.append("%suse strict%s%s" % (self.q, self.q, E))
        reqs = r.sample(["fs", "path", "util", "events", "os", "crypto"], r.randint(0, 3))
        for m in reqs:
            if self.esm == "esm":
                head.append("import %s from %s%s" % (m, self.s("node:" + m if r.random() < 0.5 else m), E))
            else:
                head.append("const %s = require(%s)%s" % (m, self.s(m), E))
        if self.esm != "esm" and r.random() < 0.2:
            head.append("const { %s } = require(%s)%s" % (lower_camel([self.n.noun()]), self.s("./" + self.n.noun()), E))
        body = []
        for _ in range(r.randint(0, 2)):
            c = self.n.const()
            self.modvars.append(c)
            body.append("const %s = %d%s" % (c, r.randint(1, 500), E))
        exports = []
        for _ in range(size):
            body.append("")
            if r.random() < 0.3:
                c, name = self.klass()
                body += c
                exports.append(name)
            else:
                body += self.function(0)
                exports.append(self.funcs[-1][0])
        body.append("")
        if self.esm == "esm":
            body.append("export { %s }%s" % (", ".join(exports), E))
            if r.random() < 0.3:
                body.append("export default %s%s" % (exports[0], E))
        elif self.esm == "cjs":
            if r.random() < 0.5:
                body.append("module.exports = { %s }%s" % (", ".join(exports), E))
            else:
                body += ["module.exports.%s = %s%s" % (x, x, E) for x in exports]
        else:  # a script
            if self.funcs:
                f, np_ = self.funcs[0]
                body.append("console.log(%s(%s))%s" % (f, ", ".join(str(r.randint(0, 9)) for _ in range(np_)), E))
        return "\n".join(head + body).lstrip("\n") + "\n"


def js_minified(rng, domain):
    g = JsGen(rng, domain, "min")
    g.semi = True
    lines = []
    for _ in range(rng.randint(4, 15)):
        lines += g.function(0)
    lines = [l.strip() for l in lines if not l.strip().startswith(("//", "/*", "*"))]
    # arrow functions end with "};" already; declarations end with "}": safe to join
    text = "".join(lines)
    return "!function(){%s}();\n" % text if rng.random() < 0.5 else text + "\n"


def js_odd(rng, domain, i):
    n = Namer(rng, domain)
    kind = i % 6
    if kind == 0:
        return "// %s\n/* %s */\n" % (words_text(rng, 5), words_text(rng, 8))
    if kind == 1:  # a data export
        return "module.exports = {\n%s\n};\n" % ",\n".join(
            "  %s: { id: %d, name: '%s', tags: [%s] }" % (n.var("camel"), j, rng.choice(WORDS),
                                                          ", ".join("'%s'" % w for w in rng.sample(WORDS, 2)))
            for j in range(rng.randint(5, 60)))
    if kind == 2:  # regex literals, unicode, labels, generators
        return ("const re = /^[a-z]+(?:-\\d{2,4})?$/iu;\nconst café = 'crème brûlée ✓';\n"
                "function* ids(n) {\n  outer: for (let i = 0; i < n; i++) {\n    for (let j = 0; j < i; j++) {\n"
                "      if (j > %d) continue outer;\n      yield i * j;\n    }\n  }\n}\n"
                "console.log([...ids(5)], re.test(café));\n") % rng.randint(1, 3)
    if kind == 3:  # callbacks, promises, optional chaining, nullish
        return ("const fs = require('fs');\n\nfunction readAll(files, done) {\n  let left = files.length;\n"
                "  const out = {};\n  files.forEach((f) => {\n    fs.readFile(f, 'utf8', (err, text) => {\n"
                "      out[f] = err ? null : text?.length ?? 0;\n      if (--left === 0) done(null, out);\n    });\n  });\n}\n\n"
                "readAll(process.argv.slice(2), (err, res) => console.log(err, res));\n")
    if kind == 4:  # deep nesting
        depth = rng.randint(12, 25)
        out = ["function deep(x) {"]
        for d in range(depth):
            out.append("  " * (d + 1) + "if (x > %d) {" % d)
        out.append("  " * (depth + 1) + "return %d;" % depth)
        for d in range(depth, 0, -1):
            out.append("  " * d + "}")
        out += ["  return -1;", "}", "console.log(deep(3));"]
        return "\n".join(out) + "\n"
    return "#!/usr/bin/env node\n'use strict';\nconst [, , ...args] = process.argv;\nconsole.log(args.map(Number).reduce((a, b) => a + b, 0));\n"


# ----------------------------------------------------------------------------- C

class CGen:
    def __init__(self, rng, domain):
        self.r, self.n = rng, Namer(rng, domain)
        self.knr = rng.random() < 0.3  # brace on its own line
        self.ind = rng.choice(["    ", "    ", "\t", "  "])
        self.funcs = []  # (name, nparams of int)
        self.structs = []  # (name, fields)
        self.enums = []  # (name, values)
        self.macros = []

    def num(self, sc, d=0):
        r = self.r
        k = r.random()
        if sc and k < 0.45:
            return r.choice(sc)
        if k < 0.6 or d > 1:
            return str(r.choice([0, 1, 2, 4, 8, 16, 32, 255, 1024]))
        if self.macros and k < 0.7:
            m = r.choice(self.macros)
            return "%s(%s, %s)" % (m, self.num(sc, d + 1), self.num(sc, d + 1)) if m in ("MAX", "MIN", "CLAMP2") else m
        return "(%s %s %s)" % (self.num(sc, d + 1), r.choice(["+", "-", "*", "&", "|", "^", "<<"]), r.randint(1, 7))

    def stmts(self, sc, depth, n, ind, in_loop=False):
        out = []
        for _ in range(n):
            out += self.stmt(sc, depth, ind, in_loop)
        return out

    def open_(self, I, head):
        return ["%s%s" % (I, head), "%s{" % I] if self.knr else ["%s%s {" % (I, head)]

    def stmt(self, sc, depth, ind, in_loop):
        r = self.r
        I = self.ind * ind
        k = r.random()
        if depth > 3:
            k = r.random() * 0.3
        if k < 0.25:
            v = self.n.var()
            sc.append(v)
            return ["%s%s %s = %s;" % (I, r.choice(["int", "int", "long", "unsigned", "size_t"]), v, self.num(sc[:-1], 0))]
        if k < 0.35 and sc:
            return ["%s%s %s= %s;" % (I, r.choice(sc), r.choice(["+", "-", "*", "|", "^"]), self.num(sc, 1))]
        if k < 0.42:
            return ["%sprintf(\"%s %%d\\n\", (int)(%s));" % (I, self.n.noun(), self.num(sc, 1))]
        if k < 0.45:
            return ["%s/* %s */" % (I, words_text(r, r.randint(2, 7)))] + self.stmt(sc, depth, ind, in_loop)
        if k < 0.57:
            out = self.open_(I, "if (%s %s %s)" % (self.num(sc, 1), r.choice(["<", ">", "==", "!="]), self.num(sc, 1)))
            out += self.stmts(list(sc), depth + 1, r.randint(1, 3), ind + 1, in_loop)
            if r.random() < 0.4:
                out += (["%s}" % I, "%selse" % I, "%s{" % I] if self.knr else ["%s} else {" % I])
                out += self.stmts(list(sc), depth + 1, r.randint(1, 3), ind + 1, in_loop)
            return out + ["%s}" % I]
        if k < 0.7:
            v = r.choice(["i", "j", "k", "n"]) + ("" if depth == 0 else str(depth))
            sc2 = list(sc) + [v]
            out = self.open_(I, "for (int %s = 0; %s < %s; %s++)" % (v, v, self.num(sc, 1), v))
            out += self.stmts(sc2, depth + 1, r.randint(1, 3), ind + 1, True)
            return out + ["%s}" % I]
        if k < 0.78:
            out = self.open_(I, "switch (%s)" % self.num(sc, 1))
            vals = r.sample(range(12), r.randint(1, 4))
            if self.enums and r.random() < 0.5:
                en, ev = r.choice(self.enums)
                vals = r.sample(ev, r.randint(1, len(ev)))
            for c in vals:
                out.append("%scase %s:" % (I, c))
                out += self.stmts(list(sc), depth + 2, r.randint(1, 2), ind + 1)
                out.append("%s%sbreak;" % (I, self.ind))
            out += ["%sdefault:" % I, "%s%sbreak;" % (I, self.ind), "%s}" % I]
            return out
        if k < 0.83:
            v = self.n.var()
            out = ["%sint %s = 0;" % (I, v)]
            out += self.open_(I, "while (%s < %d)" % (v, r.randint(2, 30)))
            out += self.stmts(list(sc) + [v], depth + 1, r.randint(0, 2), ind + 1, True)
            out += ["%s%s%s++;" % (I, self.ind, v), "%s}" % I]
            sc.append(v)
            return out
        if k < 0.87 and in_loop:
            return ["%sif (%s > %d) %s;" % (I, self.num(sc, 1), r.randint(0, 50), r.choice(["break", "continue"]))]
        if k < 0.92 and self.funcs:
            f, np_ = r.choice(self.funcs)
            v = self.n.var()
            sc.append(v)
            return ["%sint %s = %s(%s);" % (I, v, f, ", ".join(self.num(sc[:-1], 1) for _ in range(np_)))]
        if k < 0.96:
            b = self.n.var()
            return ["%schar %s[%d];" % (I, b, r.choice([16, 32, 64, 128])),
                    "%ssnprintf(%s, sizeof %s, \"%s-%%d\", (int)(%s));" % (I, b, b, self.n.noun(), self.num(sc, 1)),
                    "%sif (strlen(%s) > %d) puts(%s);" % (I, b, r.randint(2, 9), b)]
        if self.structs:
            s, fields = r.choice(self.structs)
            v = self.n.var()
            out = ["%sstruct %s %s;" % (I, s, v), "%smemset(&%s, 0, sizeof %s);" % (I, v, v)]
            for f in fields[:2]:
                out.append("%s%s.%s = %s;" % (I, v, f, self.num(sc, 1)))
            sc.append("%s.%s" % (v, fields[0]))
            return out
        return ["%s(void)0;" % I]

    def function(self, static=True):
        r = self.r
        name = self.n.func()
        params = [self.n.var() for _ in range(r.randint(0, 3))]
        sig = "%sint %s(%s)" % ("static " if static else "", name, ", ".join("int " + p for p in params) or "void")
        out = []
        if r.random() < 0.5:
            out += ["/*", " * %s: %s." % (name, words_text(r, r.randint(3, 8))), " */"] if r.random() < 0.5 else \
                   ["/* %s the %s */" % (name.split("_")[0], self.n.noun())]
        if self.knr or r.random() < 0.3:
            out += [sig, "{"]
        else:
            out.append(sig + " {")
        sc = list(params)
        out += self.stmts(sc, 0, r.randint(1, 8), 1)
        out.append("%sreturn %s;" % (self.ind, self.num(sc, 0)))
        out.append("}")
        self.funcs.append((name, len(params)))
        return out

    def file(self, size):
        r = self.r
        head = []
        if r.random() < 0.5:
            head += ["/*", " * %s.c - %s" % (self.n.noun(), words_text(r, r.randint(3, 8))), " */"]
        incs = ["stdio.h", "string.h"] + r.sample(["stdlib.h", "stdint.h", "stddef.h", "assert.h", "ctype.h", "limits.h"], r.randint(0, 3))
        head += ["#include <%s>" % i for i in incs]
        head.append("")
        for m in r.sample(["MAX", "MIN", "COUNT", "SIZE", "FLAG"], r.randint(0, 3)):
            if m == "MAX":
                head.append("#define MAX(a, b) ((a) > (b) ? (a) : (b))")
            elif m == "MIN":
                head.append("#define MIN(a, b) ((a) < (b) ? (a) : (b))")
            else:
                m = "%s_%s" % (self.n.noun().upper(), m)
                head.append("#define %s %d" % (m, r.randint(1, 4096)))
            self.macros.append(m)
        if r.random() < 0.2:
            head += ["#ifndef NDEBUG", "#define TRACE(x) printf(\"trace %d\\n\", (int)(x))", "#else",
                     "#define TRACE(x) ((void)0)", "#endif"]
        body = []
        for _ in range(r.randint(0, 2)):
            en = self.n._fresh(lambda: self.n.noun() + r.choice(["_kind", "_mode", "_state"]))
            vals = ["%s_%s" % (en.upper(), w.upper()) for w in r.sample(WORDS, r.randint(2, 5))]
            self.enums.append((en, vals))
            body += ["", "enum %s {" % en] + ["%s%s%s," % (self.ind, v, " = %d" % (i * 2) if i == 0 and r.random() < 0.3 else "")
                                             for i, v in enumerate(vals)] + ["};"]
        for _ in range(r.randint(0, 2)):
            s = self.n.cls().lower()
            fields = [self.n.var() for _ in range(r.randint(1, 5))]
            self.structs.append((s, fields))
            body += ["", "struct %s {" % s] + ["%s%s %s;" % (self.ind, r.choice(["int", "long", "unsigned"]), f) for f in fields] + ["};"]
            if r.random() < 0.4:
                body.append("typedef struct %s %s_t;" % (s, s))
        for _ in range(size):
            body.append("")
            body += self.function(static=r.random() < 0.6)
        if r.random() < 0.5:
            body += ["", "int main(int argc, char **argv)" + ("" if self.knr else " {")] + (["{"] if self.knr else [])
            body.append("%s(void)argv;" % self.ind)
            sc = ["argc"]
            body += self.stmts(sc, 0, r.randint(1, 5), 1)
            body += ["%sreturn 0;" % self.ind, "}"]
        return "\n".join(head + body) + "\n"


def c_header(rng, domain):
    n = Namer(rng, domain)
    g = "%s_H" % n.noun().upper()
    s = n.cls().lower()
    fields = [n.var() for _ in range(rng.randint(1, 6))]
    lines = ["#ifndef %s" % g, "#define %s" % g, "", "#include <stddef.h>", "", "struct %s {" % s]
    lines += ["    %s %s;" % (rng.choice(["int", "double", "size_t", "const char *"]), f) for f in fields]
    lines += ["};", ""]
    for _ in range(rng.randint(1, 6)):
        lines.append("int %s(struct %s *self, size_t n);" % (n.func(), s))
    lines += ["", "#endif /* %s */" % g]
    return "\n".join(lines) + "\n"


def c_odd(rng, domain, i):
    n = Namer(rng, domain)
    kind = i % 4
    if kind == 0:  # preprocessor only
        return "#ifndef CONFIG_H\n#define CONFIG_H\n#define %s_VERSION \"%d.%d\"\n#define %s_ENABLED 1\n#endif\n" % (
            n.noun().upper(), rng.randint(0, 9), rng.randint(0, 9), n.noun().upper())
    if kind == 1:  # a generated lookup table
        name = n.var()
        vals = ", ".join("0x%02x" % rng.randint(0, 255) for _ in range(rng.randint(64, 512)))
        return "/* generated by mktable - do not edit */\n#include <stdint.h>\nconst uint8_t %s[] = {%s};\n" % (name, vals)
    if kind == 2:  # function pointers, unions, goto
        return ("#include <stdio.h>\n\ntypedef int (*op_fn)(int, int);\n\nunion word { int i; float f; unsigned char b[4]; };\n\n"
                "static int add(int a, int b) { return a + b; }\nstatic int sub(int a, int b) { return a - b; }\n\n"
                "int main(void)\n{\n    op_fn ops[] = { add, sub };\n    union word w;\n    int r = 0;\n    w.i = %d;\n"
                "    for (int i = 0; i < 2; i++) {\n        r = ops[i](r, w.b[0]);\n        if (r < 0)\n            goto out;\n    }\nout:\n"
                "    printf(\"%%d\\n\", r);\n    return 0;\n}\n") % rng.randint(1, 1000)
    return "int main(void) { return 0; }\n"


# ----------------------------------------------------------------------------- the corpus

PY_STYLES = ["oop", "functional", "script", "typed", "mixed"]


def near_duplicate(rng, text, lang):
    k = rng.random()
    if k < 0.4:
        c = {"python": "# ", "javascript": "// ", "c": "// "}[lang]
        return c + "copied from %s\n" % rng.choice(WORDS) + text
    if k < 0.7:
        return text.replace("    ", "  ") if lang != "python" else text.rstrip("\n") + "\n\n# end\n"
    return text.replace("\n\n", "\n", 1)


def generate(seed, scale=1.0):
    """[(relative path, text, lang)], in a fixed order."""
    rng = random.Random(seed)
    domains = sorted(DOMAINS)
    files = []
    odd = {"python": 0, "javascript": 0, "c": 0}  # the odd kinds in turn
    n_py, n_js, n_c = int(280 * scale), int(150 * scale), int(110 * scale)
    # projects: each has a domain and habits; files are spread unevenly over them
    for i in range(n_py):
        d = domains[(i * 7 + rng.randint(0, 2)) % len(domains)] if rng.random() < 0.8 else rng.choice(domains)
        r = random.Random("%d:py:%d" % (seed, i))
        k = r.random()
        proj = "py_%s" % d
        if k < 0.05:
            text, name = py_generated_table(r, d), "%s_table_%d.py" % (d, i)
        elif k < 0.12:
            text, name = py_test_module(r, d), "test_%s_%d.py" % (d, i)
        elif k < 0.17:
            text, name = py_odd(r, d, odd["python"]), "odd_%d.py" % i
            odd["python"] += 1
            proj = "py_misc"
        else:
            style = PY_STYLES[(i + domains.index(d)) % len(PY_STYLES)] if r.random() < 0.7 else r.choice(PY_STYLES)
            size = r.choice([1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 14]) if r.random() < 0.92 else r.randint(16, 30)
            text, name = PyGen(r, d, style).module(size), "%s_%s_%d.py" % (d, style, i)
        files.append(("%s/%s" % (proj, name), text, "python"))
    for i in range(n_js):
        d = domains[(i * 5 + 3) % len(domains)] if rng.random() < 0.8 else rng.choice(domains)
        r = random.Random("%d:js:%d" % (seed, i))
        k = r.random()
        if k < 0.05:
            files.append(("js_dist/%s_%d.min.js" % (d, i), js_minified(r, d), "javascript"))
            continue
        if k < 0.1:
            files.append(("js_misc/odd_%d.js" % i, js_odd(r, d, odd["javascript"]), "javascript"))
            odd["javascript"] += 1
            continue
        mode = "esm" if k < 0.35 else ("cjs" if k < 0.8 else "script")
        size = r.choice([1, 2, 2, 3, 4, 6, 8, 12]) if r.random() < 0.9 else r.randint(15, 30)
        ext = ".mjs" if mode == "esm" else ".js"
        files.append(("js_%s/%s_%d%s" % (d, mode, i, ext), JsGen(r, d, mode).module(size), "javascript"))
    for i in range(n_c):
        d = domains[(i * 3 + 1) % len(domains)] if rng.random() < 0.8 else rng.choice(domains)
        r = random.Random("%d:c:%d" % (seed, i))
        k = r.random()
        if k < 0.1:
            files.append(("c_%s/%s_%d.h" % (d, d, i), c_header(r, d), "c"))
        elif k < 0.15:
            files.append(("c_misc/odd_%d.c" % i, c_odd(r, d, odd["c"]), "c"))
            odd["c"] += 1
        else:
            size = r.choice([1, 2, 3, 4, 5, 7, 10]) if r.random() < 0.9 else r.randint(12, 25)
            files.append(("c_%s/%s_%d.c" % (d, d, i), CGen(r, d).file(size), "c"))
    # near-duplicates: a few files copied with a small change
    dups = []
    for j, idx in enumerate(rng.sample(range(len(files)), max(3, len(files) // 40))):
        path, text, lang = files[idx]
        base, ext = os.path.splitext(path)
        dups.append(("%s_copy%d%s" % (base, j, ext), near_duplicate(rng, text, lang), lang))
    files += dups
    files.sort(key=lambda f: f[0])
    return files


def write_src(files, out):
    for path, text, _ in files:
        p = os.path.join(out, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)


def write_shards(files, out, per):
    os.makedirs(out, exist_ok=True)
    for s in range(0, len(files), per):
        with open(os.path.join(out, "corpus-%03d.jsonl" % (s // per)), "w", encoding="utf-8", newline="\n") as f:
            for path, text, lang in files[s:s + per]:
                f.write(json.dumps({"id": path, "content": text, "lang": lang, "path": path,
                                    "size": len(text.encode("utf-8"))}, ensure_ascii=False) + "\n")


NODE_CHECK = r"""
const fs = require('fs'), vm = require('vm');
let bad = 0;
for (const f of fs.readFileSync(0, 'utf8').split('\n').filter(Boolean)) {
  const src = fs.readFileSync(f, 'utf8');
  try {
    if (f.endsWith('.mjs')) new vm.SourceTextModule(src, { identifier: f });
    else new vm.Script(src, { filename: f });
  } catch (e) { bad++; console.log(f + ': ' + e.message); }
}
process.exit(bad ? 1 : 0);
"""


def check(files):
    """Every file must be valid: Python compile(), node --check, gcc -fsyntax-only."""
    bad = []
    for path, text, lang in files:
        if lang == "python":
            try:
                compile(text, path, "exec")
            except SyntaxError as e:
                bad.append("%s: %s" % (path, e))
    tmp = tempfile.mkdtemp(prefix="sciprune-corpus-check-")
    try:
        write_src(files, tmp)
        js = [os.path.join(tmp, p) for p, _, l in files if l == "javascript"]
        cs = [os.path.join(tmp, p) for p, _, l in files if l == "c"]
        node = shutil.which("node")
        if node and js:
            # one node process compiles every file without running it (vm.Script for scripts and
            # CommonJS, vm.SourceTextModule for .mjs): what `node --check` does, 100x faster
            r = subprocess.run([node, "--experimental-vm-modules", "--no-warnings", "-e", NODE_CHECK],
                               input="\n".join(js).encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode:
                bad.append(r.stdout.decode()[:3000])
        elif not node:  # scripts/setup.sh installs nodejs: missing, the check cannot pass
            bad.append("no node on PATH: the JavaScript files cannot be checked")
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc:
            for s in range(0, len(cs), 40):
                r = subprocess.run([gcc, "-std=c11", "-fsyntax-only", "-x", "c"] + cs[s:s + 40],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if r.returncode:
                    bad.append(r.stdout.decode()[:2000])
        else:
            bad.append("no gcc/cc on PATH: the C files cannot be checked")
        checked = {"python": True, "javascript": bool(node), "c": bool(gcc)}
    finally:
        shutil.rmtree(tmp)
    return bad, checked


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src")
    ap.add_argument("--shards")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--docs-per-shard", type=int, default=100)
    a = ap.parse_args()
    if not (a.src or a.shards or a.check):
        ap.error("nothing to do: --src, --shards or --check")
    files = generate(a.seed, a.scale)
    if a.src:
        write_src(files, a.src)
    if a.shards:
        write_shards(files, a.shards, a.docs_per_shard)
    if a.check:
        bad, checked = check(files)
        langs = {}
        for _, _, l in files:
            langs[l] = langs.get(l, 0) + 1
        print("%d files (%s), %d bytes; checked: %s" % (
            len(files), ", ".join("%s %d" % kv for kv in sorted(langs.items())),
            sum(len(t.encode()) for _, t, _ in files), ", ".join(k for k, v in sorted(checked.items()) if v)))
        for b in bad:
            print("INVALID:", b)
        if bad:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
