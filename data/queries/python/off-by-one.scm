; kind: content
; description: add or subtract one from an integer literal in a comparison, range or index
(comparison_operator (integer) @increment)
(call function: (identifier) @_f arguments: (argument_list (integer) @increment)
 (#eq? @_f "range"))
(subscript subscript: (integer) @increment)
(slice (integer) @increment)
