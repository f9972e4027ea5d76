; kind: content
; description: drop the value of a return statement
(return_statement (_) @delete.spaced (#not-type? @delete.spaced comment))
