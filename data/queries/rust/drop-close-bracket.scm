; kind: syntax
; description: drop one closing bracket ) ] }
[")" "]" "}"] @delete
