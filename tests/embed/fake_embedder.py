#!/usr/bin/python3
"""Fake embedder for tests: speaks the sciprune exec protocol (docs/embed-exec-protocol.md).

usage: fake_embedder.py MODE [DIM [AFTER]]
       fake_embedder.py file:PATH          (reads "MODE DIM AFTER" from PATH at start)

The row of a text t is [len(t), count(b'a'), count(b'b'), ...] (DIM floats), so tests can
recompute it. MODE says how to misbehave once AFTER requests were answered correctly:
  ok          never
  crash       print a line to stderr and exit with status 3
  segv        kill itself with SIGSEGV
  hang        sleep forever
  rows        answer one row too few
  dim         answer rows of DIM+1 floats
  junk        print text to stdout instead of a response
  nan         put a NaN in the first row
  nohandshake exit with status 4 before the handshake
  badhandshake print a line that is not JSON
  closein     close stdin and exit after the handshake (the parent's write gets EPIPE)
"""
import os
import signal
import struct
import sys
import time

args = sys.argv[1:]
if args and args[0].startswith("file:"):
    with open(args[0][5:]) as f:
        args = f.read().split()
mode = args[0] if args else "ok"
dim = int(args[1]) if len(args) > 1 else 8
after = int(args[2]) if len(args) > 2 else 0

out = sys.stdout.buffer
inp = sys.stdin.buffer


def readn(n):
    b = bytearray()
    while len(b) < n:
        c = inp.read(n - len(b))
        if not c:
            return None
        b += c
    return bytes(b)


def row(t, d):
    return [float(len(t))] + [float(t.count(bytes([97 + k]))) for k in range(d - 1)]


sys.stderr.write("fake: loading model (mode %s)\n" % mode)
sys.stderr.flush()
if mode == "nohandshake":
    sys.exit(4)
if mode == "badhandshake":
    out.write(b"Loading checkpoint shards: 100%\n")
    out.flush()
    time.sleep(30)
    sys.exit(0)
out.write(b'{"protocol": 1, "model": "fake-%d", "dim": %d, "dtype": "f32"}\n' % (dim, dim))
out.flush()
if mode == "closein":
    os.close(0)
    time.sleep(0.3)
    sys.exit(0)

answered = 0
while True:
    h = readn(8)
    if h is None:
        break
    assert h[:4] == b"SPEQ", h
    cnt = struct.unpack("<I", h[4:])[0]
    lens = struct.unpack("<%dI" % cnt, readn(4 * cnt))
    texts = [readn(n) if n else b"" for n in lens]
    n_out, d_out = cnt, dim
    if answered >= after:
        if mode == "crash":
            sys.stderr.write("fake: boom\n")
            sys.stderr.flush()
            sys.exit(3)
        if mode == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
        if mode == "hang":
            time.sleep(1000)
        if mode == "rows":
            n_out = cnt - 1
        if mode == "dim":
            d_out = dim + 1
        if mode == "junk":
            out.write(b"debug: embedding a batch\n" * 4)
            out.flush()
            time.sleep(30)
            sys.exit(0)
    rows = [row(t, d_out) for t in texts[:n_out]]
    if mode == "nan" and answered >= after:
        rows[0][0] = float("nan")
    out.write(b"SPEV" + struct.pack("<II", n_out, d_out))
    for r in rows:
        out.write(struct.pack("<%df" % d_out, *r))
    out.flush()
    answered += 1
sys.exit(0)
