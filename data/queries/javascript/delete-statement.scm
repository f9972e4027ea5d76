; kind: content
; description: delete one simple statement from a block that has at least two
(statement_block (_) @delete.line . (_)
 (#type? @delete.line expression_statement return_statement lexical_declaration
   variable_declaration break_statement continue_statement throw_statement))
(statement_block (_) . (_) @delete.line
 (#type? @delete.line expression_statement return_statement lexical_declaration
   variable_declaration break_statement continue_statement throw_statement))
