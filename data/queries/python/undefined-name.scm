; kind: content
; description: rename one use of a local variable to a fresh name defined nowhere
; A use is a name read in an expression inside a function; it counts as local when the same
; name occurs at least twice in that function (rename.scope), e.g. assigned and then read.
([
  (binary_operator left: (identifier) @rename)
  (binary_operator right: (identifier) @rename)
  (comparison_operator (identifier) @rename)
  (boolean_operator left: (identifier) @rename)
  (boolean_operator right: (identifier) @rename)
  (not_operator argument: (identifier) @rename)
  (unary_operator argument: (identifier) @rename)
  (argument_list (identifier) @rename)
  (keyword_argument value: (identifier) @rename)
  (return_statement (identifier) @rename)
  (assignment right: (identifier) @rename)
  (augmented_assignment right: (identifier) @rename)
  (subscript value: (identifier) @rename)
  (subscript subscript: (identifier) @rename)
  (attribute object: (identifier) @rename)
  (if_statement condition: (identifier) @rename)
  (while_statement condition: (identifier) @rename)
  (for_statement right: (identifier) @rename)
  (list (identifier) @rename)
  (tuple (identifier) @rename)
  (expression_list (identifier) @rename)
 ]
 (#not-any-of? @rename "self" "cls")
 (#set! rename.scope "function_definition"))
