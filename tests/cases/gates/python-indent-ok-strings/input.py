def f(a):
    '''Docstring
with lines at odd columns
          and # not a comment
	and a tab:
    '''
    s = """
  x = 1
        y = 2
"""
    t = 'one \
  continued'
    u = r'raw \' still raw' + f'{a}:' + b'#bytes:'
    v = '''it''' '''s''' """q"""""
    return s, t, u, v
