; kind: syntax
; description: dedent one statement of a block to the column of its header, orphaning the
; elif/else/except/finally that follows. (tree-sitter-python accepts most other indentation
; slips, e.g. a deeper line or an empty block, so only these sites reliably fail to parse.)
; @dedent.each = each statement of the block (a `(block (_) @dedent)` child pattern is cubic in
; libtree-sitter 0.20.7 on blocks of thousands of statements, see corrupt/edit.c)
(if_statement consequence: (block) @dedent.each alternative: (_))
(if_statement (elif_clause consequence: (block) @dedent.each) . [(elif_clause) (else_clause)])
(try_statement body: (block) @dedent.each)
(try_statement (except_clause (block) @dedent.each) . [(except_clause) (else_clause) (finally_clause)])
(for_statement body: (block) @dedent.each alternative: (else_clause))
(while_statement body: (block) @dedent.each alternative: (else_clause))
