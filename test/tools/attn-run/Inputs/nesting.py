#!/usr/bin/env python3
"""Writes specs for nesting.mlir: `deep-string` and `deep-comment` hold 2000
brackets inside a string literal and a comment (not nesting: they parse),
`at-limit` nests arrays exactly 1024 levels deep counting the function's
attribute dictionary (accepted), `over-limit` one level more (refused).

    nesting.py KIND
"""
import sys

SPEC = """func.func @spec(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>{attrs} {{
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}}
"""


def nested(levels):
    return "[" * levels + "]" * levels


kind = sys.argv[1]
if kind == "deep-string":
    text = SPEC.format(attrs=' attributes {note = "' + "[(<{" * 500 + '"}')
elif kind == "deep-comment":
    text = "// " + "[(<{" * 500 + "\n" + SPEC.format(attrs="")
elif kind == "at-limit":
    text = SPEC.format(attrs=" attributes {a = " + nested(1023) + "}")
elif kind == "over-limit":
    text = SPEC.format(attrs=" attributes {a = " + nested(1024) + "}")
else:
    sys.exit("unknown kind " + kind)
sys.stdout.write(text)
