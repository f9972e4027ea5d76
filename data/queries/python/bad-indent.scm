; kind: syntax
; description: indent one statement too much or inconsistently, anywhere in the file (any
; statement of any block, or of the module). Errors CPython reports and tree-sitter-python
; mostly accepts (the indentation check of lang/pyindent.c sees them):
; - indent a statement deeper by a step or part of one: "unexpected indent" (a first statement
;   of a block: its siblings then "unindent does not match any outer indentation level");
; - tabs for its spaces (or spaces for its tabs): TabError, "inconsistent use of tabs and
;   spaces in indentation".
(module (_) @indent (#not-type? @indent comment))
(block (_) @indent (#not-type? @indent comment))
(block (_) @tabify (#not-type? @tabify comment))
