; kind: syntax
; description: delete the closing quote of a string
(string (string_end) @delete)
