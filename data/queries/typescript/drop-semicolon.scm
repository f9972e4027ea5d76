; kind: syntax
; description: drop a ';' that has more code after it on the same line (elsewhere automatic
; semicolon insertion would repair it), e.g. inside a for (...;...;...) header
(";" @delete (#next-on-same-line? @delete))
