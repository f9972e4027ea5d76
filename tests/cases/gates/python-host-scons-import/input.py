# a SConscript recognised by Import/Export
Import('env')
objs = env.Object(Split('a.c b.c'))
Export('objs')
Return('objs')
