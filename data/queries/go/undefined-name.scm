; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a function; it counts as local when the same
; name occurs at least twice in that function (rename.scope). Left sides of := are
; definitions and are not renamed.
([
  (binary_expression left: (identifier) @rename)
  (binary_expression right: (identifier) @rename)
  (unary_expression operand: (identifier) @rename)
  (argument_list (identifier) @rename)
  (return_statement (expression_list (identifier) @rename))
  (assignment_statement right: (expression_list (identifier) @rename))
  (short_var_declaration right: (expression_list (identifier) @rename))
  (index_expression operand: (identifier) @rename)
  (index_expression index: (identifier) @rename)
  (selector_expression operand: (identifier) @rename)
  (parenthesized_expression (identifier) @rename)
 ]
 (#set! rename.scope "function_declaration method_declaration func_literal"))
