from os.path import *
print(join("a", undefined_anyway))
