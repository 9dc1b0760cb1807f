"""Prints a spec whose mask nests `depth` and/not levels around `leaf`:
python3 nested_mask.py DEPTH LEAF (LEAF without the #attn. prefix)."""
import sys

depth, leaf = int(sys.argv[1]), sys.argv[2]
mask = "#attn." + leaf
for level in range(depth):
    if level % 2:
        mask = f"#attn.not<{mask}>"
    else:
        mask = f"#attn.and<[#attn.sinks<{level}>, {mask}]>"
t = "tensor<1x2x8x16xf32>"
print(f"func.func @deep(%q: {t}) -> {t} {{")
print(f"  %o = attn.attention %q, %q, %q mask({mask}) : {t}, {t}, {t} -> {t}")
print(f"  return %o : {t}")
print("}")
