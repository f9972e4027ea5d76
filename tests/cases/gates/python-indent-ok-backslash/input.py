def f(a, b):
    total = a + \
b + \
            a
    if a and \
  b:
        return total
    assert total, \
        'message'
    return 0
