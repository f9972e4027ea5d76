def f(x):
    if x:
        y = (1,
  2)
    else:
        y = 3
    return y
