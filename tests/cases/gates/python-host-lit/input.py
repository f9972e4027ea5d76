# a lit config: lit defines config and lit_config
import os
config.name = 'demo'
config.suffixes = ['.c']
config.test_source_root = os.path.dirname(__file__)
