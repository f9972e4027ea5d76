# the same without the path: config is undefined
import os
config.name = 'demo'
config.suffixes = ['.c']
config.test_source_root = os.path.dirname(__file__)
