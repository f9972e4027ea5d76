# a gdb auto-load script: gdb pre-imports the gdb module
class Printer:
    def __init__(self, val):
        self.val = val


gdb.printing.register_pretty_printer(gdb.current_objfile(), Printer)
