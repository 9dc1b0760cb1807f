// UBSan: signed overflow in attn::defaultProblemSize (Runner.cpp), kernel * dilation of an inferred (-1) axis. See README.md.
func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1, 14], kernel = [4611686018427387904, 7], dilation = [2, 1]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
