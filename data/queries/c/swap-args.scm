; kind: content
; description: swap two adjacent arguments of a call
(argument_list (_) @swap.a . (_) @swap.b
 (#not-type? @swap.a comment) (#not-type? @swap.b comment))
