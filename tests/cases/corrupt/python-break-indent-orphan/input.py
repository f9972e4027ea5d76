import sys


def load(path):
 try:
  f = open(path)
  data = f.read()
  f.close()
 except OSError:
  data = ""
 return data


print(load(sys.argv[1]))
