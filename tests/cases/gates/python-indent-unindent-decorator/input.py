class A:
    @property
def f(self):
    return 1
