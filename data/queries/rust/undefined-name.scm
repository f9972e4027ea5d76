; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a function; it counts as local when the same
; name occurs at least twice in that function (rename.scope).
([
  (binary_expression left: (identifier) @rename)
  (binary_expression right: (identifier) @rename)
  (unary_expression (identifier) @rename)
  (reference_expression value: (identifier) @rename)
  (arguments (identifier) @rename)
  (return_expression (identifier) @rename)
  (assignment_expression right: (identifier) @rename)
  (compound_assignment_expr right: (identifier) @rename)
  (let_declaration value: (identifier) @rename)
  (index_expression (identifier) @rename)
  (field_expression value: (identifier) @rename)
  (parenthesized_expression (identifier) @rename)
  (array_expression (identifier) @rename)
  (tuple_expression (identifier) @rename)
 ]
 (#set! rename.scope "function_item closure_expression"))
