import os.path
import collections.abc as cabc
from . import sibling
from .pkg import (a as alias_a, b)
with open(os.path.join("x")) as fh, open("y") as (r1, r2):
    first, *rest = fh.read().split()
for idx, (key, val) in enumerate({}.items()):
    pass
try:
    pass
except (OSError, ValueError) as exc:
    print(exc)
if (n := len(rest)) > 1:
    print(n)
match first:
    case {"k": captured, **others}:
        print(captured, others)
    case Point(x=px) if px > 0:
        print(px)
f = lambda q, *qs, r=idx, **kw: (q, qs, r, kw)
print(cabc, sibling, alias_a, b, r1, r2, key, val, f)
obj.attr = 1
seq[0] = 2
counter += 1
