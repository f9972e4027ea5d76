; kind: content
; description: negate the condition of an if
(if_statement condition: (_) @negate
 (#set! negate.bare "call_expression selector_expression index_expression parenthesized_expression"))
