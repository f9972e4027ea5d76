; kind: syntax
; description: drop one ';'
";" @delete
