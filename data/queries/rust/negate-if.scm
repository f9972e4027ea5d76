; kind: content
; description: negate the condition of an if (not an `if let`)
(if_expression condition: (_) @negate
 (#not-type? @negate let_condition let_chain)
 (#set! negate.bare "call_expression field_expression index_expression parenthesized_expression method_call_expression"))
