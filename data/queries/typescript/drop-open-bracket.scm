; kind: syntax
; description: drop one opening bracket ( [ {
["(" "[" "{"] @delete
