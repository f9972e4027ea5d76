; kind: syntax
; description: a character that is no token (@, `) before the ';' of a statement
(expression_statement ";" @replace (#set! replace " @;"))
(return_statement ";" @replace (#set! replace " `;"))
