; kind: content
; description: delete one simple statement from a block that has at least two
(block (_) @delete.line . (_)
 (#type? @delete.line expression_statement short_var_declaration assignment_statement
   return_statement inc_statement dec_statement go_statement defer_statement break_statement
   continue_statement var_declaration))
(block (_) . (_) @delete.line
 (#type? @delete.line expression_statement short_var_declaration assignment_statement
   return_statement inc_statement dec_statement go_statement defer_statement break_statement
   continue_statement var_declaration))
