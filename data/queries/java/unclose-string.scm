; kind: syntax
; description: delete the closing quote of a string literal
(string_literal "\"" @delete .)
