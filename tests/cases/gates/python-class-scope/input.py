class Config:
    # a class-body name read from a method is a NameError at run time; scopes are
    # flattened on purpose, so the gate errs toward "defined" and does not flag it
    limit = 10
    def check(self, n):
        return n < limit
    items = [limit * i for i in range(3)]
