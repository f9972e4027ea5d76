; kind: content
; description: negate the condition of an if
(if_statement condition: (parenthesized_expression (_) @negate)
 (#set! negate.bare "method_invocation field_access array_access parenthesized_expression"))
