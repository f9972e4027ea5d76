; kind: syntax
; description: indent one statement too little, anywhere in the file. Three slips, each an error
; CPython reports (tree-sitter-python accepts most indentation slips; the indentation check of
; lang/pyindent.c sees them):
; - dedent a statement of a block to the column of its header, orphaning the
;   elif/else/except/finally that follows (a tree-sitter error too);
; - dedent the first statement of a block to its header's column: "expected an indented block";
; - re-indent any statement of any block to a column between its header's and its own:
;   "unindent does not match any outer indentation level" (or, for a first statement, the
;   next one is an "unexpected indent").
; @dedent.each = each statement of the block (a `(block (_) @dedent)` child pattern followed by
; more steps is cubic in libtree-sitter 0.20.7 on blocks of thousands of statements, see
; corrupt/edit.c; the last two patterns have no step after the child)
(if_statement consequence: (block) @dedent.each alternative: (_))
(if_statement (elif_clause consequence: (block) @dedent.each) . [(elif_clause) (else_clause)])
(try_statement body: (block) @dedent.each)
(try_statement (except_clause (block) @dedent.each) . [(except_clause) (else_clause) (finally_clause)])
(for_statement body: (block) @dedent.each alternative: (else_clause))
(while_statement body: (block) @dedent.each alternative: (else_clause))
(block . (_) @dedent (#not-type? @dedent comment))
(block (_) @misindent (#not-type? @misindent comment))
