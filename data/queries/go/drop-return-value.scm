; kind: content
; description: drop the values of a return statement
(return_statement (expression_list) @delete.spaced)
