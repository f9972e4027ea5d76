exec("made_here = 1")
print(made_here)
