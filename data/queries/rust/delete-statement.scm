; kind: content
; description: delete one simple statement (a `let` or an expression ending in ';') from a block
; that has at least two; the block's tail expression counts as the second but is never deleted
(block (_) @delete.line . (_)
 (#type? @delete.line expression_statement let_declaration) (#match? @delete.line ";$"))
(block (_) . (_) @delete.line
 (#type? @delete.line expression_statement let_declaration) (#match? @delete.line ";$"))
