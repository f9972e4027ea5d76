; kind: content
; description: negate the condition of an if
(if_statement condition: (parenthesized_expression (_) @negate)
 (#set! negate.bare "call_expression member_expression subscript_expression parenthesized_expression"))
