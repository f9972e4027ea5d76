; kind: content
; description: negate the condition of an if (not a declaration used as the condition)
(if_statement condition: (condition_clause value: (_) @negate)
 (#not-type? @negate declaration comma_expression)
 (#set! negate.bare "call_expression field_expression subscript_expression parenthesized_expression"))
