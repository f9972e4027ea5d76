; kind: content
; description: swap two adjacent arguments of a call
(arguments (_) @swap.a . (_) @swap.b
 (#not-type? @swap.a line_comment block_comment attribute_item)
 (#not-type? @swap.b line_comment block_comment attribute_item))
