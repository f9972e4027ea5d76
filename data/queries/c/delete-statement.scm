; kind: content
; description: delete one simple statement from a block that has at least two
(compound_statement (_) @delete.line . (_)
 (#type? @delete.line expression_statement declaration return_statement break_statement
   continue_statement goto_statement))
(compound_statement (_) . (_) @delete.line
 (#type? @delete.line expression_statement declaration return_statement break_statement
   continue_statement goto_statement))
