; kind: syntax
; description: drop the #endif of an #if/#ifdef group
(preproc_if "#endif" @delete.line)
(preproc_ifdef "#endif" @delete.line)
