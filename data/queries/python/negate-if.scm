; kind: content
; description: negate the condition of an if / elif
(if_statement condition: (_) @negate
 (#set! negate.prefix "not ") (#set! negate.bare "call attribute subscript parenthesized_expression"))
(elif_clause condition: (_) @negate
 (#set! negate.prefix "not ") (#set! negate.bare "call attribute subscript parenthesized_expression"))
