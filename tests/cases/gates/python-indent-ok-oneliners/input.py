import sys
if sys.argv: pass
class A: pass
for i in range(3): print(i); print(i + 1)
while False: break
try: x = 1
except Exception: x = 2
d = {1: 2}; e = sys.argv[1:]
if (n := len(e)) > 1: print(n)
f = lambda: 0
with open(__file__) as fh: data = fh.read()
