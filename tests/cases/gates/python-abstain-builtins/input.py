import builtins
builtins._ = lambda s: s
print(_("hello"))
