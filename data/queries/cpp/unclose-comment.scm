; kind: syntax
; description: delete the closing */ of a block comment (it runs on to the next */ or the end)
((comment) @delete.tail (#match? @delete.tail "^/[*]") (#set! tail "2"))
