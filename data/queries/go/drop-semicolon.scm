; kind: syntax
; description: drop an explicit ';' (for clauses, if/switch initialisers)
";" @delete
