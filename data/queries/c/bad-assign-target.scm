; kind: syntax
; description: assign to a literal (1 = x;), not an lvalue
(assignment_expression left: (identifier) @replace (#set! replace "1"))
