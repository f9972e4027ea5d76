; kind: content
; description: swap two adjacent arguments of a call
(argument_list (_) @swap.a . (_) @swap.b
 (#not-type? @swap.a line_comment block_comment) (#not-type? @swap.b line_comment block_comment))
