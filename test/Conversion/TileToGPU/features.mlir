// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu{tile-q=16 tile-kv=16 threads=64 async-copies=false}))' | FileCheck %s

// Head maps: once per work item, the key head is k_head_map[b, h] and the
// value head v_head_map[h], each clamped into [0, heads) (Hk = 2, Hv = 3);
// the K tiles read head hk, the V tiles head hv.
// CHECK-LABEL: func.func @head_maps
// CHECK-SAME:    (%{{.*}}: tensor<2x4x20x16xf32>, %[[K:.*]]: tensor<2x2x20x16xf32>, %[[V:.*]]: tensor<2x3x20x8xf32>, %[[KM:.*]]: tensor<2x4xi32>, %[[VM:.*]]: tensor<4xi64>)
// CHECK:         %[[KMEM:.*]] = bufferization.to_buffer %[[K]]
// CHECK:         %[[VMEM:.*]] = bufferization.to_buffer %[[V]]
// CHECK:         scf.forall
// CHECK:           %[[ITEM:.*]] = arith.index_cast
// CHECK:           %[[BH:.*]] = arith.divui %[[ITEM]], %{{.*}} : index
// CHECK:           %[[H:.*]] = arith.remui %[[BH]], %{{.*}} : index
// CHECK:           %[[B:.*]] = arith.divui %[[BH]], %{{.*}} : index
// CHECK:           %[[KRAW:.*]] = tensor.extract %[[KM]][%[[B]], %[[H]]] : tensor<2x4xi32>
// CHECK:           %[[KIDX:.*]] = arith.index_cast %[[KRAW]] : i32 to index
// CHECK:           %[[KMIN:.*]] = arith.minsi %[[KIDX]], %{{.*}} : index
// CHECK:           %[[HK:.*]] = arith.maxsi %[[KMIN]], %{{.*}} : index
// CHECK:           %[[VRAW:.*]] = tensor.extract %[[VM]][%[[H]]] : tensor<4xi64>
// CHECK:           %[[VIDX:.*]] = arith.index_cast %[[VRAW]] : i64 to index
// CHECK:           %[[VMIN:.*]] = arith.minsi %[[VIDX]], %{{.*}} : index
// CHECK:           %[[HV:.*]] = arith.maxsi %[[VMIN]], %{{.*}} : index
// CHECK:           scf.for
// CHECK:             memref.load %[[KMEM]][%[[B]], %[[HK]], %{{.*}}, %{{.*}}] : memref<2x2x20x16xf32>
// CHECK:             memref.load %[[VMEM]][%[[B]], %[[HV]], %{{.*}}, %{{.*}}] : memref<2x3x20x8xf32>
func.func @head_maps(%q: tensor<2x4x20x16xf32>, %k: tensor<2x2x20x16xf32>,
                     %v: tensor<2x3x20x8xf32>, %km: tensor<2x4xi32>,
                     %vm: tensor<4xi64>) -> tensor<2x4x20x8xf32> {
  %o = attn.attention %q, %k, %v k_head_map(%km : tensor<2x4xi32>)
       v_head_map(%vm : tensor<4xi64>)
       : tensor<2x4x20x16xf32>, tensor<2x2x20x16xf32>, tensor<2x3x20x8xf32>
         -> tensor<2x4x20x8xf32>
  return %o : tensor<2x4x20x8xf32>
}

// -----

// Sink logits and an output gate: one pass over the key tiles (online
// softmax), then per row the sink joins the normalizer
// (m' = max(m, sink), l' = l exp(m - m') + exp(sink - m')), the lse is
// m' + log l' (not gated), and alpha = exp(m - m') / l'; the output is O
// times alpha times the gate (broadcast over the query: index 0).
// CHECK-LABEL: func.func @sink_gate
// CHECK-SAME:    %[[SINKS:[^:]*]]: tensor<2xf32>, %[[GATE:[^:]*]]: tensor<1x2x1xf32>)
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x20x16xf32>
// CHECK:         %[[LSE:.*]] = memref.alloc() : memref<1x2x20xf32>
// CHECK:         scf.forall
// CHECK:           %[[ITEM:.*]] = arith.index_cast
// CHECK:           %[[BH:.*]] = arith.divui %[[ITEM]], %{{.*}} : index
// CHECK:           %[[H:.*]] = arith.remui %[[BH]], %{{.*}} : index
// CHECK:           %[[M:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[L:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[ALPHA:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// The key loop (bounds from the tile list's offsets) runs once: no second
// loop over the same list before the rows are finished.
// CHECK:           scf.for %{{.*}} = %[[EB:[0-9]+]] to %[[EE:[0-9]+]] step
// CHECK-NOT:       scf.for %{{.*}} = %[[EB]] to %[[EE]] step
// CHECK:             %[[SINK:.*]] = tensor.extract %[[SINKS]][%[[H]]] : tensor<2xf32>
// CHECK:             %[[MNEW:.*]] = arith.maximumf %[[MROW:.*]], %[[SINK]] : f32
// CHECK:             math.exp2
// CHECK:             math.exp2
// CHECK:             %[[LNEW:.*]] = math.fma %[[LROW:.*]], %{{.*}}, %{{.*}} : f32
// CHECK:             arith.divf
// CHECK:             memref.store %{{.*}}, %[[ALPHA]][%[[I:.*]]]
// CHECK:             scf.if
// CHECK:               %[[LOG:.*]] = math.log %[[LNEW]] : f32
// CHECK:               arith.addf %[[MNEW]], %[[LOG]] : f32
// CHECK:               memref.store %{{.*}}, %[[LSE]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK:             scf.if
// CHECK:               memref.load %[[ALPHA]]
// CHECK:               arith.mulf
// CHECK:               tensor.extract %[[GATE]][%{{.*}}, %[[H]], %{{.*}}] : tensor<1x2x1xf32>
// CHECK:               arith.mulf
// CHECK:               memref.store %{{.*}}, %[[OUT]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
func.func @sink_gate(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                     %v: tensor<1x2x20x16xf32>, %s: tensor<2xf32>,
                     %g: tensor<1x2x1xf32>)
    -> (tensor<1x2x20x16xf32>, tensor<1x2x20xf32>) {
  %o, %l = attn.attention %q, %k, %v sink_logits(%s : tensor<2xf32>)
       output_gate(%g : tensor<1x2x1xf32>) mask(#attn.causal)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>, tensor<1x2x20xf32>
  return %o, %l : tensor<1x2x20x16xf32>, tensor<1x2x20xf32>
}

// -----

// A weight_mod under softmax: two passes over the key tiles.
// Pass 1 (statistics): K tiles only, S with the mask on partial tiles, the
// row max and sum (P is not written, no rescale factor).
// Between the passes, per row: the final max m (0 for an empty row) and the
// inverse normalizer 1 / l (0 for an empty row) into alpha.
// Pass 2 (final weights): K and V tiles; the score stage writes
// weight_mod(exp(s - m) / l, raw score) for kept pairs (the region's body,
// here math.copysign, inlined under the keep test) and 0 otherwise; then
// O = O + P V without rescaling. The output is O itself.
// CHECK-LABEL: func.func @weight_mod_softmax
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x37x8xf32>
// CHECK:         scf.forall
// CHECK:           %[[KS:.*]] = memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[VS:.*]] = memref.alloc() : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[SS:.*]] = memref.alloc() : memref<16x17xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[OS:.*]] = memref.alloc() {attn.gpu.thread_private} : memref<64x2xf32>
// CHECK:           %[[M:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[L:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[ALPHA:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// Pass 1.
// CHECK:           scf.for %{{.*}} = %[[BEGIN:[0-9]+]] to %[[END:[0-9]+]] step %c1{{(_[0-9]+)?}} {
// CHECK:             memref.store %{{.*}}, %[[KS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK-NOT:         memref.store %{{.*}}, %[[VS]]
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               math.fma
// CHECK:               scf.if %{{.*}} -> (i1) {
// CHECK:                 arith.cmpi sle
// CHECK-NOT:           math.copysign
// CHECK:               memref.store %{{.*}}, %[[SS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:             scf.forall (%[[I:.*]]) in (16) {
// CHECK:               arith.maximumf
// CHECK-NOT:           memref.store %{{.*}}, %[[SS]]
// CHECK-NOT:           memref.store %{{.*}}, %[[ALPHA]]
// CHECK:               memref.store %{{.*}}, %[[L]][%[[I]]]
// CHECK:               memref.store %{{.*}}, %[[M]][%[[I]]]
// CHECK-NEXT:        } {mapping = [#gpu.thread<x>]}
// CHECK-NEXT:      }
// Between the passes.
// CHECK:           scf.forall (%[[I:.*]]) in (16) {
// CHECK:             arith.divf
// CHECK:             arith.cmpf ogt
// CHECK:             memref.store %{{.*}}, %[[M]][%[[I]]]
// CHECK:             memref.store %{{.*}}, %[[ALPHA]][%[[I]]]
// CHECK:           } {mapping = [#gpu.thread<x>]}
// Pass 2.
// CHECK:           scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %{{.*}} {
// CHECK:             memref.store %{{.*}}, %[[KS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:             memref.store %{{.*}}, %[[VS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               %[[RAW:.*]] = scf.for
// CHECK:                 math.fma
// CHECK:               %[[KEEP:.*]] = arith.andi
// CHECK:               %[[W:.*]] = scf.if %[[KEEP]] -> (f32) {
// CHECK:                 memref.load %[[M]]
// CHECK:                 math.exp2
// CHECK:                 memref.load %[[ALPHA]]
// CHECK:                 %[[WN:.*]] = arith.mulf
// CHECK:                 %[[WM:.*]] = math.copysign %[[WN]], %[[RAW]] : f32
// CHECK:                 scf.yield %[[WM]] : f32
// CHECK:               } else {
// CHECK:                 scf.yield %cst{{.*}} : f32
// CHECK:               }
// CHECK:               memref.store %[[W]], %[[SS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK-NOT:         scf.forall (%{{.*}}) in (16)
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK-NOT:           memref.load %[[ALPHA]]
// CHECK:               %[[O0:.*]] = memref.load %[[OS]]
// CHECK:               scf.for {{.*}} iter_args(%{{.*}} = %[[O0]])
// CHECK:                 math.fma
// CHECK:               memref.store %{{.*}}, %[[OS]]
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK-NEXT:      }
// CHECK:           scf.forall (%{{.*}}) in (64) {
// CHECK:             scf.if
// CHECK-NEXT:          %[[O:.*]] = memref.load %[[OS]]
// CHECK-NEXT:          memref.store %[[O]], %[[OUT]]
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
func.func @weight_mod_softmax(%q: tensor<1x2x37x16xf32>, %k: tensor<1x1x37x16xf32>,
                              %v: tensor<1x1x37x8xf32>) -> tensor<1x2x37x8xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %sw = math.copysign %w, %r : f32
         attn.yield %sw : f32
       }
       : tensor<1x2x37x16xf32>, tensor<1x1x37x16xf32>, tensor<1x1x37x8xf32>
         -> tensor<1x2x37x8xf32>
  return %o : tensor<1x2x37x8xf32>
}

// -----

// softplus + l1 with a weight_mod: two passes as well; pass 2 multiplies
// the pointwise weight by 1 / l (no exponential of the max).
// CHECK-LABEL: func.func @weight_mod_l1
// CHECK:         scf.forall
// CHECK:           scf.for %{{.*}} = %[[BEGIN:[0-9]+]] to %[[END:[0-9]+]] step %c1{{(_[0-9]+)?}} {
// CHECK:             math.log1p
// CHECK:           }
// CHECK:           scf.forall (%{{.*}}) in (16) {
// CHECK:             arith.divf
// CHECK:           } {mapping = [#gpu.thread<x>]}
// CHECK:           scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// CHECK:             scf.if %{{.*}} -> (f32) {
// CHECK-NOT:           math.exp2
// CHECK:               math.log1p
// CHECK:               arith.mulf
// CHECK:               math.copysign
// CHECK:           }
// CHECK-NOT:       scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
func.func @weight_mod_l1(%q: tensor<1x1x20x16xf32>, %k: tensor<1x1x20x16xf32>,
                         %v: tensor<1x1x20x16xf32>) -> tensor<1x1x20x16xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<softplus, l1>)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %sw = math.copysign %w, %r : f32
         attn.yield %sw : f32
       }
       : tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32>
         -> tensor<1x1x20x16xf32>
  return %o : tensor<1x1x20x16xf32>
}

// -----

// Sigmoid has no row normalizer: a weight_mod needs one pass only, whose
// score stage writes the final weights (no row statistics, no m/l
// initialization, no per-row stage).
// CHECK-LABEL: func.func @weight_mod_sigmoid
// CHECK:         scf.forall
// CHECK-NOT:       scf.forall (%{{.*}}) in (16)
// CHECK:           scf.for %{{.*}} = %[[BEGIN:[0-9]+]] to %[[END:[0-9]+]] step %c1{{(_[0-9]+)?}} {
// CHECK:             scf.forall (%{{.*}}) in (64) {
// CHECK:               scf.if %{{.*}} -> (f32) {
// CHECK:                 math.exp
// CHECK:                 arith.divf
// CHECK:                 math.copysign
// CHECK:             } {mapping = [#gpu.thread<x>]}
// CHECK-NOT:         scf.forall (%{{.*}}) in (16)
// CHECK:           }
// CHECK-NOT:       scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// CHECK-NOT:       scf.forall (%{{.*}}) in (16)
// CHECK:         } {{.*}}mapping = [#gpu.block<x>]}
func.func @weight_mod_sigmoid(%q: tensor<1x1x20x16xf32>, %k: tensor<1x1x20x16xf32>,
                              %v: tensor<1x1x20x16xf32>) -> tensor<1x1x20x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       normalization(#attn.normalize<sigmoid>)
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %sw = math.copysign %w, %r : f32
         attn.yield %sw : f32
       }
       : tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32>, tensor<1x1x20x16xf32>
         -> tensor<1x1x20x16xf32>
  return %o : tensor<1x1x20x16xf32>
}
