; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a function; it counts as local when the same
; name occurs at least twice in that function (rename.scope).
([
  (binary_expression left: (identifier) @rename)
  (binary_expression right: (identifier) @rename)
  (unary_expression argument: (identifier) @rename)
  (arguments (identifier) @rename)
  (return_statement (identifier) @rename)
  (assignment_expression right: (identifier) @rename)
  (augmented_assignment_expression right: (identifier) @rename)
  (variable_declarator value: (identifier) @rename)
  (subscript_expression object: (identifier) @rename)
  (subscript_expression index: (identifier) @rename)
  (member_expression object: (identifier) @rename)
  (parenthesized_expression (identifier) @rename)
  (ternary_expression (identifier) @rename)
  (array (identifier) @rename)
  (template_substitution (identifier) @rename)
 ]
 (#set! rename.scope "function_declaration function_expression arrow_function method_definition generator_function_declaration"))
