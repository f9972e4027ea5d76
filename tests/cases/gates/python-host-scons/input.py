# an SConstruct: the SConscript globals
env = Environment(CCFLAGS='-O2')
env.Program('hello', Glob('*.c'))
Default('hello')
