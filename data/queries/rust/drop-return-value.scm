; kind: content
; description: drop the value of a return expression
(return_expression (_) @delete.spaced (#not-type? @delete.spaced line_comment block_comment))
