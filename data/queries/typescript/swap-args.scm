; kind: content
; description: swap two adjacent arguments of a call
(arguments (_) @swap.a . (_) @swap.b
 (#not-type? @swap.a spread_element comment) (#not-type? @swap.b spread_element comment))
