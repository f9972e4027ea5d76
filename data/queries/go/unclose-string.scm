; kind: syntax
; description: delete the closing quote of a string literal
(interpreted_string_literal "\"" @delete .)
(raw_string_literal "`" @delete .)
