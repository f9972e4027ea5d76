#!/usr/bin/python3
"""guard_bench.py - where libtree-sitter 0.20.7 crashes or goes super-linear, and what the parse
guard (lang/guard.c, sciprune.h "the parse guard") does about it.

    bench/guard_bench.py BUILD_DIR [--quick] [--scan DIR LANG ...]

1. raw tree-sitter, no guard (BUILD/bench/bench_guard: parse + one tree walk + delete, in a
   child process with a timeout): generated shapes per language and size; prints bytes, the
   guard's measures and verdict, parse seconds or how it died.
2. the pipeline with the guard (BUILD/cli/sciprune): `gates --file` and `corrupt --file
   --type drop-open-bracket` on the same shapes at and past the limits.
3. --scan DIR LANG: the guard's verdict on every file of a real corpus (false positives).
Markdown tables on stdout; bench/guard_results.md quotes a run.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60


def shapes(quick):
    """(name, lang, text) of every generated case."""
    yield ("tiny (startup baseline)", "python", "x = (1)\n")
    yield ("tiny (startup baseline)", "javascript", "var x = [1];\n")
    yield ("tiny (startup baseline)", "c", "int x = (1);\n")
    d = [1024, 4096, 16384, 65530, 65536, 100000]
    for n in d:
        yield ("unclosed ( x%d" % n, "python", "x = " + "(" * n + "\n")
        yield ("unclosed [ x%d" % n, "javascript", "var x = " + "[" * n + "\n")
        yield ("unclosed ( x%d" % n, "c", "int x = " + "(" * n + "\n")
    for n in [4096, 16384, 70000]:
        yield ("balanced (( 1 )) x%d" % n, "python", "x = " + "(" * n + "1" + ")" * n + "\n")
    for n in [4096, 8192, 13000, 14000]:  # five stack entries per level: ( function ( ) {
        yield ("unclosed (function(){ x%d" % n, "javascript", "var f = " + "(function(){" * n + "\n")
    for n in [16384, 65530, 70000]:
        yield ("`not` x%d then `)`" % n, "python", "x = " + "not " * n + ")\n")
    for n in ([500, 1000, 2000] if quick else [500, 1000, 2000, 4000, 8000]):
        yield ("file-scope `1,` x%d" % n, "c", "1,\n" * n + "1\n")
        yield ("file-scope X(a, i) lines x%d" % n, "c",
               "".join("X(a%d, %d)\n" % (i, i) for i in range(n)))
        yield ("`1,` x%d in a function" % n, "c", "int f(void) { return " + "1,\n" * n + "1; }\n")
    unit = ("function a%d(b,c){var d=b+c*2;if(d>10){return[d,b,c].map(function(e){return e*2})}"
            "for(var i=0;i<c;i++){d+=i}return{x:d,y:'s'+b};}")
    for mib in ([0.25, 1, 2] if quick else [0.25, 1, 2, 4, 8]):
        n = int(mib * 2**20 / (len(unit) + 4))
        yield ("minified JS %.2f MiB (one line)" % mib, "javascript",
               "".join(unit % i for i in range(n)) + "\n")


def raw(build, lang, path):
    t0 = time.time()
    try:
        p = subprocess.run([build + "/bench/bench_guard", lang, path], capture_output=True,
                           text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timeout > %d s" % TIMEOUT, time.time() - t0
    line = p.stdout.strip()
    if p.returncode != 0 or not line.endswith("}"):
        why = "killed by signal %d" % -p.returncode if p.returncode < 0 else "exit %d" % p.returncode
        if "munmap_chunk" in p.stderr:
            why += " (munmap_chunk(): invalid pointer)"
        try:
            return json.loads(line.split(", \"parse_s\"")[0].rstrip(", ") + "}"), why, 0
        except ValueError:
            return None, why, 0
    return json.loads(line), None, 0


def timed(cmd):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", TIMEOUT
    return ("exit %d" % p.returncode if p.returncode >= 0 else "signal %d" % -p.returncode,
            time.time() - t0)


def main():
    build = sys.argv[1]
    quick = "--quick" in sys.argv
    if "--scan" in sys.argv:
        i = sys.argv.index("--scan")
        top, lang = sys.argv[i + 1], sys.argv[i + 2]
        exts = {"python": (".py",), "javascript": (".js", ".mjs"), "c": (".c", ".h")}[lang]
        files = [os.path.join(r, f) for r, _, fs in os.walk(top) for f in fs if f.endswith(exts)]
        out = subprocess.run([build + "/bench/bench_guard", "--scan", lang] + files,
                             capture_output=True, text=True).stdout.splitlines()
        rows = [l.split(" ", 6) for l in out]
        bad = [r for r in rows if r[0] != "ok"]
        print("| corpus | files | too_deep | too_large | max depth | max run | max top_run |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print("| %s (%s) | %d | %d | %d | %d | %d | %d |" % (
            top, lang, len(rows), sum(r[0] == "too_deep" for r in rows),
            sum(r[0] == "too_large" for r in rows), max(int(r[1]) for r in rows),
            max(int(r[2]) for r in rows), max(int(r[3]) for r in rows)))
        for r in bad[:20]:
            print("    %s depth %s run %s top_run %s line %s bytes %s %s" % tuple(r))
        return
    sci = build + "/cli/sciprune"
    tmp = tempfile.mkdtemp(prefix="guard-bench-")
    print("| case | lang | bytes | depth | run | top_run | verdict | raw parse (s) | "
          "gates --file (s) | corrupt drop-open-bracket (s) |")
    print("|---|---|---:|---:|---:|---:|---|---|---:|---:|")
    for name, lang, text in shapes(quick):
        ext = {"python": ".py", "javascript": ".js", "c": ".c"}[lang]
        path = os.path.join(tmp, "case" + ext)
        with open(path, "w") as f:
            f.write(text)
        info, died, _ = raw(build, lang, path)
        rawcol = died if died else "%.3f" % info["parse_s"]
        _, tg = timed([sci, "gates", "--file", path, "--lang", lang])
        rc, tc = timed([sci, "corrupt", "--file", path, "--lang", lang,
                        "--type", "drop-open-bracket"])
        i = info or {}
        print("| %s | %s | %d | %s | %s | %s | %s | %s | %.2f | %.2f (%s) |" % (
            name, lang, len(text.encode()), i.get("depth", "?"), i.get("run", "?"),
            i.get("top_run", "?"), i.get("verdict", "?"), rawcol, tg, tc, rc))
        sys.stdout.flush()
        os.unlink(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
