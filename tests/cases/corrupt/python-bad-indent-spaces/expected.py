import os


class Walker:
	"""Walk a tree of folders."""

	def __init__(self, root):
		self.root = root
		self.seen = set()

	def walk(self):
                for d, subs, files in os.walk(self.root):
			if d in self.seen:
				continue
			self.seen.add(d)
			for f in files:
				yield os.path.join(d, f)
