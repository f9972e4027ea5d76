; kind: syntax
; description: drop the right operand of a binary operator or an assignment (a + ;, x = ;)
(binary_expression right: (_) @delete.spaced)
(assignment_expression right: (_) @delete.spaced)
