// UBSan: signed overflow in the attribute verifier (AttnAttrs.cpp), kernel * dilation. See README.md.
func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1, 14], kernel = [7, 7], dilation = [4611686018427387904, 4611686018427387904]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
