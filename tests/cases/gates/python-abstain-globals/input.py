for name in ("a", "b"):
    globals()[name] = name.upper()
print(a, b)
