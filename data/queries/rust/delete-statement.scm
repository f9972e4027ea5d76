; kind: content
; description: delete one statement from a block that has at least two (the block's tail
; expression counts as the second, it is never deleted itself)
(block (_) @delete.line . (_)
 (#type? @delete.line expression_statement let_declaration))
(block (_) . (_) @delete.line
 (#type? @delete.line expression_statement let_declaration))
