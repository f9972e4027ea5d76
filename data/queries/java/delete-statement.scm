; kind: content
; description: delete one simple statement from a block that has at least two
(block (_) @delete.line . (_)
 (#type? @delete.line expression_statement local_variable_declaration return_statement
   break_statement continue_statement throw_statement))
(block (_) . (_) @delete.line
 (#type? @delete.line expression_statement local_variable_declaration return_statement
   break_statement continue_statement throw_statement))
