; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a method; it counts as local when the same
; name occurs at least twice in that method (rename.scope).
([
  (binary_expression left: (identifier) @rename)
  (binary_expression right: (identifier) @rename)
  (unary_expression operand: (identifier) @rename)
  (argument_list (identifier) @rename)
  (return_statement (identifier) @rename)
  (assignment_expression right: (identifier) @rename)
  (variable_declarator value: (identifier) @rename)
  (array_access array: (identifier) @rename)
  (array_access index: (identifier) @rename)
  (field_access object: (identifier) @rename)
  (method_invocation object: (identifier) @rename)
  (parenthesized_expression (identifier) @rename)
  (ternary_expression (identifier) @rename)
 ]
 (#set! rename.scope "method_declaration constructor_declaration lambda_expression"))
