// UBSan: signed overflow in attn::argShape's extent expressions (Runner.cpp), "Nk+N" with a huge N. See README.md.
func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
             %c: tensor<?xi32> {attn.dims = ["Nk+9223372036854775807"]}) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%c : tensor<?xi32>) mask_fn {
  ^bb0(%b: index, %h: index, %i: index, %j: index, %cc: tensor<?xi32>):
    %t = arith.constant true
    attn.yield %t : i1
  } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
