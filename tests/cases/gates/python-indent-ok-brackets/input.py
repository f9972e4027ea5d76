def f(a,
  b,
		c):
    x = [1,
2,
	      3]
    y = {'a':
            1, 'b':
 2}
    z = (a  # comment at an odd column
  # another
         + b)
    if (a and
b):
        return x[1:], y, z
    return g(lambda q:
   q)
