; kind: content
; description: negate the condition of an if / elif
(if_statement condition: (_) @negate (#set! negate.prefix "not "))
(elif_clause condition: (_) @negate (#set! negate.prefix "not "))
