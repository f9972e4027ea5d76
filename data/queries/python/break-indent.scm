; kind: syntax
; description: dedent one statement of a block to the column of its header, orphaning the
; elif/else/except/finally that follows. (tree-sitter-python accepts most other indentation
; slips, e.g. a deeper line or an empty block, so only these sites reliably fail to parse.)
(if_statement consequence: (block (_) @dedent) alternative: (_))
(if_statement (elif_clause consequence: (block (_) @dedent)) . [(elif_clause) (else_clause)])
(try_statement body: (block (_) @dedent))
(try_statement (except_clause (block (_) @dedent)) . [(except_clause) (else_clause) (finally_clause)])
(for_statement body: (block (_) @dedent) alternative: (else_clause))
(while_statement body: (block (_) @dedent) alternative: (else_clause))
