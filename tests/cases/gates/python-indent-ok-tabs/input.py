def f(x):
	if x:
		y = 1
	else:
		y = [1,
    2]
	return y


class A:
	def g(self):
	    return 1
