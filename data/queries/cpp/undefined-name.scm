; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a function; it counts as local when the same
; name occurs at least twice in that function (rename.scope).
([
  (binary_expression left: (identifier) @rename)
  (binary_expression right: (identifier) @rename)
  (unary_expression argument: (identifier) @rename)
  (pointer_expression argument: (identifier) @rename)
  (argument_list (identifier) @rename)
  (return_statement (identifier) @rename)
  (assignment_expression right: (identifier) @rename)
  (init_declarator value: (identifier) @rename)
  (subscript_expression argument: (identifier) @rename)
  (subscript_argument_list (identifier) @rename)
  (field_expression argument: (identifier) @rename)
  (parenthesized_expression (identifier) @rename)
  (conditional_expression (identifier) @rename)
 ]
 (#set! rename.scope "function_definition lambda_expression"))
