pairs = [(x, y) for x in range(3) for y in range(x) if x != y]
table = {k: v for k, v in pairs}
gen = sum(a for a in table if a > threshold)
unused = {s for s in ()}
