//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToLoops : Pass<"convert-attn-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower attn.attention to an untiled online-softmax loop nest";
  let description = [{
    Rewrites every `attn.attention` into an `scf.parallel` over
    (batch, query head, query) whose body runs a sequential online-softmax
    loop over the keys (running max, running sum, rescaled f32 accumulator in
    a stack buffer). Every mask attribute, score modification, region and
    normalization is emitted inline as `arith`/`math` code evaluated per
    (query, key) pair; inputs are read with `tensor.extract` and the output
    is a `memref.alloc` wrapped by `bufferization.to_tensor`, so the result
    is ready for One-Shot Bufferize.

    This is the reference-quality *untiled* lowering: no tiles are skipped
    and the mask is evaluated on every element. It exists as the
    performance and correctness baseline (`attn-run --untiled`); the tile
    program (`attn-to-tile`) is the CPU's lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def ConvertAttnTileToVector : Pass<"convert-attn-tile-to-vector",
                                   "::mlir::func::FuncOp"> {
  let summary = "Vector micro-kernels for the key loop of the tile program (CPU)";
  let description = [{
    The CPU fast path of the tile program, run before
    `convert-attn-tile-to-loops`, which lowers whatever this pass leaves.
    On tensors, for `vector-width` f32 lanes:

    * `attn_tile.load`: row vectors with the element conversion, zero rows
      outside the sequence;
    * `attn_tile.scores` inside a key loop: the key operand is packed
      once per call before the work items, by key tiles with the head
      dimension first (`[B, H, N, D]` to `[B, H, ceil(N / tile_kv), Dp,
      tile_kv]`, f32, D padded to whole vectors, an `scf.forall` over
      (batch, head): square blocks of `vector-width` rows transposed in
      registers by shuffles), so that a key tile is one contiguous panel,
      and the tile is computed by
      a register-blocked kernel (key vectors against broadcast query
      elements; key vectors inside the sequence read without lane masks,
      a branch per register block); query tiles narrower than a vector,
      and scores outside a key loop, take row dot products instead (no
      transpose);
    * `attn_tile.mask` with a lane mask (index-arithmetic masks under
      and/or/not): partial tiles compare key lanes per row; masks reading
      segment ids or block layouts stay for the portable lowering;
    * `attn_tile.modify` (softcap, ALiBi, a `score_mod` region) and the
      `mask_fn` region of `attn_tile.mask`: on key vectors, regions cloned
      on lanes (ops on the score or key index on vectors, the others once);
      a bias operand, segment ids, block layouts and regions that read a
      capture at a key-dependent index stay for the portable lowering;
    * `attn_tile.online_update` (softmax and pointwise normalizations): row
      max and sum by vector reductions, weights by vector exponentials;
    * `attn_tile.accumulate`: a register-blocked P V kernel reading a
      value tile loaded at the key loop's tile start from the source (rows
      inside the sequence only); with `excluding`, a key tile whose values
      hold an infinity or NaN loads the tile and takes the portable
      per-pair select instead, so excluded pairs add nothing. The probe of
      every key tile of a value operand is computed once per call, before
      the work items (`[B, H, ceil(N / tile_kv)]`), for query tiles of at
      least a vector; narrower ones (decode) probe their own tile.

    * linear attention: `attn_tile.feature_map` on row vectors,
      `attn_tile.expand_features` row by row (taylor2: the linear part and
      each product segment `x_a * x / sqrt(2)` as masked vectors along the
      head dimension; hedgehog: each feature's projection `W[h'] . x` as a
      dot product along the head dimension, then `exp(u)` and `exp(-u)` as
      vectors along the features; a tile without static rows, which
      attn-to-tile never builds, stays for the portable lowering),
      `attn_tile.decay` by f64 key lanes and vector exponentials,
      `attn_tile.read_state` and `attn_tile.update_state` as outer-product
      kernels over the state's or the chunk's rows.
    * `attn_tile.quantized_scores` whose keys are a `load_quantized` at
      the key loop's tile start: each i8 key operand is packed once per
      call before the work items (`[B, H, ceil(D/4), 4N]`, the 4 bytes of
      a channel group key after key, offset by 128 to unsigned), and the
      tile is a register-blocked kernel of i32 lanes each accumulating 4
      byte products per step against a broadcast query group, minus the
      offset's `128 * sum(q)` per row: exact, and the same f32 scaling as
      the portable lowering. The byte products are `attn_tile.dot_bytes`
      ops (`vpdpbusd`'s semantics), which `attn-lower-int8-dot` lowers
      after bufferization;
    * `attn_tile.quantize`: one (batch, head) per work item of an
      `scf.forall`, the token mean, block absmax and values by vectors of
      channels, bit for bit the portable lowering's results.

    * `attn_tile.finalize`: each row's factor (1 / sum, rescale, gate) once,
      the row scaled by vectors and narrowed to the result type.

    With `bf16-dot` (vector-width 8 or 16), Q K^T and P V of bf16 operands
    take `x86vector.avx512.dot` (vdpbf16ps, `dst[i] += a[2i] b[2i] + a[2i+1]
    b[2i+1]`) with both operands as bf16 pairs along the reduction
    dimension: keys packed once per call as pair words by key tiles
    (`[B, H, ceil(N / tile_kv), Pp, tile_kv]` i32), the query tile once per
    tile (`[tq, Pp]`), a query pair broadcast per step; for P V the weights
    rounded to bf16 and packed per key tile (`[tq, tile_kv / 2]`), the value
    pairs interleaved in registers from two rows of the source. Scores need
    the query and keys loaded from bf16 operands; P V softmax weights, a
    bf16 value operand and a key tile of whole pairs of vectors; otherwise
    the f32 kernels run.
    `attn-emulate-bf16-dot` runs the result on hosts without avx512bf16.

    Tiles whose key extent the width does not divide, and every other op
    (modify, weight_mod, merge, the selection ops, sign), are left to the
    portable lowering: correct, scalar.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes per vector (4, 8 or 16)">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "Q K^T and P V of bf16 operands by vdpbf16ps "
           "(x86vector.avx512.dot; vector-width 8 or 16)">
  ];
  let dependentDialects = [
    "::mlir::x86vector::X86VectorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::vector::VectorDialect"
  ];
}

def ConvertAttnTileToLoops : Pass<"convert-attn-tile-to-loops",
                                  "::mlir::func::FuncOp"> {
  let summary = "Lower the tile program (attn_tile) to linalg and scf on tensors";
  let description = [{
    The portable lowering of the tile program: every tile op becomes
    `linalg.generic` ops (or `tensor.generate` for loads) on tensors whose
    bodies hold the scalar math of the shared helpers (the online update,
    sink fold and finalization of `SoftmaxMath`, masks and score
    modifications of the scalar emitter), and `attn_tile.for_key_tiles`
    becomes an `scf.for` over the key tiles with the partial flag computed
    at run time (a tile crossing a sequence end, or every tile of a masked
    spec). The result is target-neutral and shape-generic; it bufferizes
    with One-Shot Bufferize and runs through `convert-linalg-to-loops`
    (the `attn-cpu-tile-loops` pipeline). It is the correctness baseline of
    the tile program, not a fast path: no vectorization, no tile skipping.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def LowerInt8Dot : Pass<"attn-lower-int8-dot"> {
  let summary = "Lower attn_tile.dot_bytes to AVX512-VNNI or portable vector code";
  let description = [{
    The i8 dot products of the quantized Q K^T vector kernel
    (`attn_tile.dot_bytes`, emitted by `convert-attn-tile-to-vector`), run
    after bufferization and buffer deallocation (which refuse
    `llvm.call_intrinsic`). `int8-dot=vnni`: `llvm.call_intrinsic
    "llvm.x86.avx512.vpdpbusd.{128,256,512}"` for 4, 8 or 16 lanes
    (`vpdpbusd`: the target must have avx512vnni, and avx512vl below 16
    lanes; the JIT chooses it from the host's features). `int8-dot=emulated`:
    both operands as i32 lanes (`vector.bitcast`, little-endian as x86),
    per byte position of the 4 the unsigned byte by a shift right and a
    mask and the signed one by a shift left and an arithmetic shift right,
    multiplied and added: the same exact sums on any little-endian target.
  }];
  let options = [
    Option<"int8Dot", "int8-dot", "std::string", /*default=*/"\"emulated\"",
           "vnni (vpdpbusd) or emulated">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def EmulateBF16Dot : Pass<"attn-emulate-bf16-dot"> {
  let summary = "Rewrite AVX512-BF16 x86vector ops into portable vector code";
  let description = [{
    Rewrites `x86vector.avx512.dot` (vdpbf16ps) and
    `x86vector.avx512.cvt.packed.f32_to_bf16` (vcvtneps2bf16) into `vector`
    and `arith` ops that any target runs: the dot widens both bf16 operands
    to f32, splits them into odd and even elements (`vector.deinterleave`)
    and accumulates odd then even pairs with `math.fma`, the order of Intel's
    pseudo-code; the conversion is `arith.truncf` (round to nearest even).
    A product of two bf16 values is exact in f32, so the result matches the
    instruction except for denormals, which the instruction flushes.

    This lets the bf16-dot kernels of `convert-attn-tile-to-vector` (packing,
    indexing, padding) run and be checked against the reference on hosts
    without avx512bf16.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def ApproximateVectorMath : Pass<"attn-approximate-vector-math"> {
  let summary = "Polynomial approximations of math ops on vectors";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.log`, `math.erf` ... on vector
    operands into MLIR's polynomial approximations (accurate to a few ulp),
    which LLVM vectorizes; scalar math ops are left to libm for accuracy.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def ParallelLoopsToRuntime
    : Pass<"attn-parallel-loops-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Run the work items of outermost scf.parallel loops through "
                "the attn_parallel_for runtime entry point";
  let description = [{
    Runs on buffers, after bufferization and buffer deallocation (each work
    item then allocates and frees its own buffers, so items are
    independent). Every outermost `scf.parallel` without results (the tile
    program's `scf.forall` over (batch, head, query tile[, key split])
    after `scf-forall-to-parallel`) becomes:

    * a private function `<parent>_work_item(!llvm.ptr ctx, i64 item)`
      (internal linkage in LLVM) holding the loop body; the item index is
      delinearized row-major over the loop's dimensions;
    * in the parent, a stack struct (the context) holding the values the
      body uses from above: scalars as they are, indices as integers of the
      index width, memrefs as their LLVM descriptors (unrealized casts that
      the conversions to the LLVM dialect resolve); constants are cloned
      into the body instead;
    * `attn_parallel_for(i64 count, ptr body, ptr ctx)` when the loop has
      more than one item, a direct call of the body for a single item and
      nothing for none.

    `attn_parallel_for` must run `body(ctx, i)` for every `i` in
    `[0, count)`, in any order and on any threads, and return when all
    have finished: the JIT defines it over its thread pool
    (`attn/Conversion/ParallelRuntime.h`). Loops nested in another
    `scf.parallel` or `scf.forall` stay sequential. A loop that cannot be
    outlined (reductions, a captured value with no LLVM form, no enclosing
    `func.func`) gets a remark and stays sequential.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect"
  ];
}

//===----------------------------------------------------------------------===//
// GPU code generation
//===----------------------------------------------------------------------===//

def ConvertAttnTileToGPU : Pass<"convert-attn-tile-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Lower the tile program (attn_tile) to block- and thread-level "
                "scf.forall over shared memory (pre-mapping GPU kernel IR)";
  let description = [{
    Lowers the tile program of every spec with static shapes (the
    `scf.forall` over the work items that `attn-to-tile` builds, or its
    split-KV pair of `scf.forall`s, below) to the FlashAttention-2 kernel
    in its form *before*
    thread mapping, or, for the O(N) forms of linear attention (the chunked
    causal and the global program of `attn_tile.read_state` /
    `attn_tile.update_state`, `linear-chunk` > 0), to the linear-attention
    kernel (below). What a work item computes is read from the
    tile ops: the `attn_tile.load`s of Q, K and V (and the head maps their
    head indices read), the scale of `attn_tile.scores`, the mask attribute
    and `mask_fn` region of `attn_tile.mask`, the bias, `score_mods` and
    `score_mod` region of `attn_tile.modify`, the normalization of
    `attn_tile.online_update`, one loop over the key tiles or two (the
    statistics, then `attn_tile.final_weights`), `attn_tile.weight_mod`,
    `attn_tile.fold_sink` (the sink logits), and the gate and logsumexp of
    `attn_tile.finalize`; the per-pair and per-row math is the shared
    scalar code (AttnCodegen, SoftmaxMath). The key-tile schedule is the
    static one of the block classification, computed here from the mask op
    at the static lengths (region masks through range analysis), not the
    run-time one of `attn_tile.for_key_tiles`. The kernel's tiles are this
    pass's (its options below, or the automatic choice), not the tile
    program's `tile_q` / `tile_kv`: the tile ops are per-tile math that
    holds for any tile size.

    The linear-attention kernel reads the loads of Q, K and V, their
    elementwise `attn_tile.feature_map`s, the scale of
    `attn_tile.read_state`, l1 and the per-row gate of `attn_tile.finalize`
    and a decay constant per (batch, head) from `attn_tile.decay_prefix`:
    one block per (batch, head, up to 64 value columns), the state (with
    l1 the key sum as an extra column) in shared memory, the chunks of
    `tile-kv` keys (automatic: 64, 32, 16 or 8, what fits
    `max-shared-bytes`) in order, SIMT stages for the chunk's scores below
    the diagonal, its output (the chunk's keys and the decayed state) and
    the state update; the global form folds every key chunk into the state,
    then reads it per query chunk. f32 arithmetic, except that with
    f16/bf16 inputs and `use-tensor-cores` the causal form's two chunk
    products (scores, decayed scores times V) are warp-level 16x8x16
    stages on 16-bit copies (chunks of a multiple of 16, whole warps).

    Other forms are refused on the tile op that needs them, "has no GPU
    lowering yet", naming the form: linear attention's quadratic form
    (feature maps and decay under other masks), feature maps that change
    the feature dimension (`attn_tile.expand_features`), key maps over the
    sequence and key weights, decays per position or per key channel,
    quantization, block selection, affine normalizations (`kept_sums`),
    row epilogues and element-wise output gates. Tile programs whose
    shapes are dynamic are refused too.

    The split-KV form of the tile program (`attn-to-tile` with `split-kv`
    other than 1: work items over key ranges writing unnormalized partial
    results, then an `scf.forall` of `attn_tile.merge`, the sink fold and
    the finalization) is read as the same spec; the key splits are this
    pass's layout decision (`split-kv`: the tile program's key tiles are
    not the kernel's), taken at the static lengths. With one split the
    kernel is the one above. With S > 1 splits, two kernels: the first has
    S blocks per work item, block (item, s) running the s-th of S
    contiguous, balanced parts of the item's key-tile list (possibly
    empty) and writing its unnormalized O, running max and sum to global
    f32 buffers [S, B, Hq, Nq, Dv] and [S, B, Hq, Nq]; the second, one
    block per (batch, head, query tile), merges the splits of each row with
    SoftmaxMath's LSE merge step (the CPU's `attn_tile.merge`), then folds
    the sink, writes the logsumexp and the normalized, gated output as the
    one-kernel form does. Automatic splits (`split-kv=0`) aim at
    kGPUSplitTargetBlocks (264: two blocks on each of an H100's 132 SMs)
    first-kernel blocks, with at least 4 key tiles per split: work items
    that already fill the GPU, or short key lists, keep one split.
    Programs without a split form (two passes, selections, linear
    attention) ignore the option.

    The kernel:

    * one block-level `scf.forall` (`#gpu.block<x>`) over the work items
      (batch, head, query tile), in the heaviest-first order of the shared
      tile schedule (attn/Analysis/TileList.h); the schedule's tables are
      tensor constants read inside the block (bufferized to constant
      globals, which kernel outlining copies into the GPU module);
    * per work item, shared-memory buffers (`memref.alloc` in
      `#gpu.address_space<workgroup>`): the scaled Q tile, the K and V
      tiles (two of each when double-buffered, below), the
      score/probability tile, the output accumulator (tensor cores, or a
      SIMT O of more than 64 elements per thread) and the per-row softmax
      state (running max, running sum, rescale factor); the SIMT kernel
      otherwise keeps O in registers across key tiles: thread t owns the
      elements t, t + T, ... of the Bq x Dv tile, held in row t of a
      T x (Bq Dv / T) `memref.alloc` marked `attn.gpu.thread_private`
      (an array on the CPU, registers on the GPU after
      `attn-gpu-privatize-thread-state`);
    * sibling thread-level `scf.forall`s (`#gpu.thread<x>`, at most
      `threads` iterations each, strided `scf.for` inside when a stage has
      more elements) for: loading Q; then, per key tile of the compressed
      tile list (empty tiles are never visited), loading K and V (of the key
      and value heads: the GQA group, or the `k_head_map` / `v_head_map`
      entry of the work item clamped into range), computing S = Q K^T with
      the mask on partial tiles only and the score modifications, the
      online-softmax update (one thread per query row), O = alpha O + P V;
      then, per row, the normalizer (joined by the `sink_logits` null key)
      and the logsumexp; and finally the normalized output, times the
      `output_gate`. A barrier is implied between sibling thread-level
      foralls.
    * a `weight_mod` region needs the final weights: under softmax or l1
      the key tiles are visited twice (pass 1: S and the row max and sum,
      no V; pass 2: the score stage writes the region's value of the final
      weight and the raw score into P for kept pairs, 0 for masked ones,
      then O = O + P V); under the other normalizations the weights are
      final in a single pass.

    f32 inputs (or `use-tensor-cores=false`): all arithmetic is f32
    (f16/bf16 inputs are extended on load). f16/bf16 inputs with
    `use-tensor-cores` (the default): Q, K, V and P stay 16-bit in shared
    memory and S = Q K^T, O += P V are warp-level stages (`#gpu.warp<x>`
    foralls) of 16x8x16 `vector.contract`s with f32 accumulation, whose
    loops are marked `attn.gpu.warp_mma` for attn-gpu-warp-mma-to-nvgpu;
    tiles must then be multiples of 16 and threads a multiple of 32. Fully
    masked rows give 0 and a logsumexp of -inf. The result is executable on
    the CPU (`scf-forall-to-for`, `attn-gpu-erase-memory-spaces`, then the
    CPU lowering), which is how its numerics are tested; the
    `attn-gpu-ptx` pipeline maps it to `gpu.launch` and PTX.

    With `async-copies` (the default), K and V tiles are double-buffered:
    the buffers hold two tiles, the copies of the next key tile
    (`nvgpu.device_async_copy`, zero-filling past the sequence end and the
    head dim, committed as one group per thread) are started in a
    thread-level stage at the top of each key-tile iteration, which also
    waits (`nvgpu.device_async_wait {numGroups = 1}`) for the current
    tile's group; the barrier after that stage publishes the tile, and the
    stages of the iteration overlap with the copies in flight. The first
    tile is started before the loop. This needs the tile to be copied as
    is (f32 inputs in the SIMT kernel, 16-bit inputs on tensor cores; a
    16-bit SIMT kernel converts on load) and 4-, 8- or 16-byte copies that
    divide the head dim and the shared row stride; otherwise, and with
    `async-copies=false`, the tiles are single-buffered and copied by
    plain loads and stores. The function gets `attn.gpu.async_copies` when
    they are used. On the CPU, `attn-gpu-serialize-async-copies` turns the
    copies into synchronous ones.

    With `accumulator-fragments` (the default), the tensor-core kernel
    keeps O in the P V stage's mma accumulators across key tiles instead of
    shared memory: each of the W warps owns O tiles w, w + W, ... of the
    (Bq / 16) x (Dv / 8) grid, held in a W x N x 16 x 8 `memref.alloc`
    marked `attn.gpu.warp_private`; the P V stage reads and writes warp w's
    tiles (`vector.transfer_read/write` at [w, n, 0, 0]), and the stages
    that initialize, rescale and store O are thread-level stages in which
    thread 32 w + lane touches exactly the elements of the m16n8
    accumulator layout that lane holds. On the CPU it is an ordinary array;
    on the GPU `attn-gpu-privatize-warp-state` turns it into per-lane
    registers. It applies when the tiles divide evenly among the warps and
    N is at most 16 (64 floats per lane); otherwise O stays in shared
    memory.

    With `register-softmax` (the default) and O in accumulators, a kernel
    whose Bq / 16 row blocks divide among the W warps keeps S and P in
    registers too (FlashAttention-2): warp w owns
    whole 16-row blocks of S, P and O (row-blocked warp-private buffers:
    S and O W x R N x 16 x 8 f32, P W x R x 16 x Bk in the input type);
    Q K^T writes warp w's S tiles; a thread-level stage scales, masks and
    modifies the scores in place in the accumulator layout and writes each
    thread's partial row max to a shared T x 2R buffer marked
    `attn.gpu.lane_exchange`; the next stage reads the partials of the
    thread's quad (t xor 1, 2, 3: the 4 lanes holding a row), computes
    alpha, writes P = exp(S - max) into warp w's P, keeps each thread's
    running max and partial sum in thread-private T x 2R buffers and scales
    its O elements by alpha; P V reads A from warp w's P (the A fragment of
    m16n8k16 is the accumulator layout of two 16x8 tiles). After the key
    loop the partial sums are added over each quad the same way and m and l
    go to shared memory for the epilogue. The two-pass form's statistics
    pass does the same without P and O; its second pass (and a one-pass
    `weight_mod` kernel) writes the final weights as P from S in one
    stage. On the CPU all of these are
    arrays; on the GPU `attn-gpu-lane-exchange` turns the exchanges into
    warp shuffles, the privatization passes turn the private buffers into
    registers and `attn-gpu-map-foralls` puts no barrier between the Q K^T,
    softmax and P V stages (they share only reads of shared memory). The
    function gets `attn.gpu.register_softmax`. Otherwise S (f32) and P go
    through shared memory with one thread per query row.

    The function gets `attn.gpu.min_registers` (96 plus the 32-bit
    registers of the accumulators a thread keeps), the floor
    `attn-gpu-occupancy-hint` keeps per thread.

    Tile sizes default to the largest of (64, 64), (64, 32), (64, 16),
    (32, 32), (32, 16), (16, 16), (16, 8) for the SIMT kernel, and of
    (64, 32), (64, 16), (32, 32), (32, 16), (16, 16) for tensor cores,
    whose shared memory, double buffers included, fits
    `max-shared-bytes`, each with its query tile cut to a shorter query
    sequence (the next power of two of Nq; on tensor cores 16 rows up to
    16 queries, else at least 16 rows per warp: a decode step's one row is
    not a 64-row tile of padding, and the shared memory goes to a longer
    key tile).
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", "0",
           "Queries per tile (0: the largest that fits max-shared-bytes)">,
    Option<"tileKv", "tile-kv", "int64_t", "0",
           "Keys per tile (0: chosen with tile-q); the linear-attention "
           "kernel's chunk">,
    Option<"threads", "threads", "int64_t", "128", "Threads per block">,
    Option<"splitKv", "split-kv", "int64_t", "1",
           "Key splits of a split-KV tile program (0: automatic, see the "
           "description; N: at most N, and at most the key tiles of a work "
           "item; 1: one kernel)">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t", "101376",
           "Shared-memory budget per block for the automatic tile sizes "
           "(default 99 KiB: every sm_80+ GPU)">,
    Option<"useTensorCores", "use-tensor-cores", "bool", "true",
           "Q K^T and P V as warp-level 16x8x16 tile products (tensor "
           "cores) when Q, K and V are f16 or bf16; f32 always uses the "
           "SIMT kernel">,
    Option<"asyncCopies", "async-copies", "bool", "true",
           "Double-buffered K/V tiles filled by nvgpu.device_async_copy "
           "(cp.async) when the tile layout allows it (see the description)">,
    Option<"accumulatorFragments", "accumulator-fragments", "bool", "true",
           "Tensor cores: O stays in the P V stage's mma accumulators "
           "across key tiles (warp-private buffer) where the tiles allow it">,
    Option<"registerSoftmax", "register-softmax", "bool", "true",
           "Tensor cores with O in accumulators: S, P and the online "
           "softmax in registers too, where the tiles allow it (see the "
           "description)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect", "::mlir::gpu::GPUDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::affine::AffineDialect", "::mlir::vector::VectorDialect",
    "::mlir::nvgpu::NVGPUDialect"
  ];
}

def GPUSerializeAsyncCopies : Pass<"attn-gpu-serialize-async-copies"> {
  let summary = "Asynchronous global-to-shared copies as synchronous ones "
                "(run GPU kernel IR on the CPU)";
  let description = [{
    Rewrites every `nvgpu.device_async_copy` into the copy it stands for,
    done at once: element `i` of the `dstElements` elements is the source
    element when `i < srcElements` (all of them without `srcElements`), else
    zero, and the source is not read for zero-filled elements. Erases
    `nvgpu.device_async_create_group` and `nvgpu.device_async_wait`. A
    sequential execution of the kernel (after `scf-forall-to-for`) then
    sees every copy complete where the GPU waits for it; the wait and
    barrier placement itself is not checked by this (see docs/gpu.md).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def GPUPrivatizeThreadState : Pass<"attn-gpu-privatize-thread-state"> {
  let summary = "Give each thread its row of a thread-private buffer as its "
                "own array (registers)";
  let description = [{
    `convert-attn-tile-to-gpu` keeps state that a thread carries across sibling
    thread-level stages (the SIMT kernel's O accumulator) in a
    `memref.alloc` of shape T x S... marked `attn.gpu.thread_private`,
    whose row t only thread t reads and writes; executed sequentially on
    the CPU it is an ordinary array. After `attn-gpu-map-foralls` every
    access indexes row `gpu.thread_id x`: this pass replaces the buffer in
    each `gpu.launch` body by a `memref.alloca` of shape S... at the top of
    the body, drops the row index from the loads and stores (and erases
    deallocations), and fully unrolls the `scf.for` loops whose induction
    variables index it, so that every index folds to a constant (the GPU
    pipeline canonicalizes next) and LLVM keeps the array in registers. Any other use of the buffer, or an indexing
    loop without constant bounds, is an error. Marked buffers outside a
    `gpu.launch` are left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def GPUPrivatizeWarpState : Pass<"attn-gpu-privatize-warp-state"> {
  let summary = "Give each lane its elements of a warp-private buffer of "
                "mma accumulator tiles as its own array (registers)";
  let description = [{
    `convert-attn-tile-to-gpu` keeps the tensor-core kernel's O (and with the
    register softmax S and P) in `memref.alloc`s marked
    `attn.gpu.warp_private` of shape W x ...: O and S as W x N x 16 x 8 f32
    (tile n of warp w), P as W x R x 16 x Bk in the input type (warp w's
    row blocks). Warp w's tile-product stages read and write its part
    (`attn-gpu-warp-mma-to-nvgpu` turns their transfers into per-lane loads
    and stores of the m16n8 accumulator or A-fragment layout) and
    thread-level stages touch exactly the elements each lane holds in
    those layouts. This pass (in the kernel, after `attn-gpu-warp-mma-to-nvgpu`)
    fully unrolls the constant-bound `scf.for` loops around the accesses,
    evaluates every access's indices for each thread of the block (from
    `gpu.thread_id x` and `gpu.lane_id`; the block has 32 W threads) and
    checks that the threads partition the buffer, each touching
    (elements / 32 W) elements of its own warp, and that each access
    reaches the same position of every thread's sorted element list. The
    buffer is then replaced by a per-thread `memref.alloca` of that many
    elements indexed by those positions (constants: LLVM keeps it in
    registers). An access whose
    indices are not such functions of the thread id, any other use, or a
    layout that is not a per-thread partition is an error.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def GPUEraseMemorySpaces : Pass<"attn-gpu-erase-memory-spaces"> {
  let summary = "Drop #gpu.address_space from memref types (run GPU kernel "
                "IR on the CPU)";
  let description = [{
    Rewrites every memref type carrying a `#gpu.address_space<...>` memory
    space into the same type in the default memory space, everywhere in the
    operation (results, block arguments, attributes). With
    `scf-forall-to-for`, this makes the pre-mapping kernel IR of
    `convert-attn-tile-to-gpu` an ordinary CPU loop nest.
  }];
}

def GPUWidenContractions : Pass<"attn-gpu-widen-contractions"> {
  let summary = "Extend the 16-bit operands of f32-accumulating "
                "vector.contracts (run tensor-core stages on the CPU)";
  let description = [{
    Rewrites `vector.contract` whose operands have a narrower float type
    than the accumulator into `arith.extf` of the operands and a contraction
    in the accumulator's type: the same arithmetic (exact products of the
    16-bit values, f32 sums), in the single-type form that MLIR 22's
    contraction lowering (in convert-vector-to-llvm) accepts. Used by the
    pipeline that runs the pre-mapping GPU kernel IR on the CPU.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def GPULaneExchange : Pass<"attn-gpu-lane-exchange"> {
  let summary = "Turn a quad's exchange through shared memory into warp "
                "shuffles (merging the two stages)";
  let description = [{
    The register softmax reduces each query row over the 4 lanes of a quad
    that hold it in the mma accumulator layout. The pre-mapping IR, which
    runs sequentially on the CPU, passes the values through a shared
    T x S `memref.alloc` marked `attn.gpu.lane_exchange`: a thread-level
    stage stores thread t's values in row t, the next sibling stage loads
    rows of the same quad (`t xor 1`, ...). On the GPU path, before
    `attn-gpu-map-foralls`, this pass merges each such pair of stages into
    one and replaces every load by the value the source thread stored:
    the thread's own value, a `gpu.shuffle xor` (row `t xor c`) or a
    `gpu.shuffle idx` (any other row of the same warp). It checks that the
    stores are at the writer's top level with row `t` and constant
    columns, that the loads are at the reader's top level (every lane of a
    warp reaches every shuffle) with constant columns of stored values,
    that each load's row, evaluated for every thread, is a thread of the
    same warp, and that neither stage writes block-shared memory the other
    touches (the merge drops the barrier between them). If any check fails
    the buffer is left alone with a remark saying why: the exchange
    through shared memory is correct, only slower.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUMapForalls : Pass<"attn-gpu-map-foralls", "::mlir::ModuleOp"> {
  let summary = "Map block/thread-level scf.forall to gpu.launch with the "
                "upstream GPU transform ops";
  let description = [{
    For every top-level `scf.forall` mapped to `#gpu.block<x>`, applies the
    transform-dialect schedule

    ```mlir
    %l = transform.gpu.map_forall_to_blocks %forall generate_gpu_launch
    transform.gpu.map_nested_forall_to_threads %l block_dims = [T, 1, 1]
    ```

    through the transform interpreter, where T is the largest trip count of
    the nested `#gpu.thread` foralls (32 per `#gpu.warp` iteration). The
    result is a `gpu.launch` whose body uses `gpu.block_id`/`gpu.thread_id`.

    Barriers: the pre-mapping semantics puts one between sibling stages;
    this pass places them itself (`sync_after_distribute = false`) where
    they order something. Walking each block of the block-level forall, it
    collects the block-shared buffers (by their base allocation; global
    memory included) read and written since the last barrier and puts a
    `gpu.barrier` before the next stage (or other op with memory effects)
    if that op writes one of them or touches one written since. Buffers
    marked `attn.gpu.thread_private` or `attn.gpu.warp_private` are left
    out: each element has one owning thread (the privatization passes
    check it). An effect not tied to a buffer counts as a conflict;
    `nvgpu.device_async_wait` counts as writing every buffer an
    asynchronous copy in the kernel writes (the data lands then). Control
    flow holding stages (the key loop) gets a barrier before it when
    anything is unpublished and at the end of each of its blocks; the last
    stage of the kernel gets none.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::transform::TransformDialect",
    "::mlir::arith::ArithDialect", "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def GPUDynamicSharedMemory
    : Pass<"attn-gpu-dynamic-shared-memory", "::mlir::ModuleOp"> {
  let summary = "Place workgroup memref.allocs of gpu.launch bodies in "
                "dynamic shared memory";
  let description = [{
    Replaces every `memref.alloc` (and `memref.alloca`) with a
    `#gpu.address_space<workgroup>` result inside a `gpu.launch` by a
    `memref.view` at a 16-byte aligned offset of `gpu.dynamic_shared_memory`
    and sets the launch's `dynamic_shared_memory_size` to the total, so that
    kernels can use more than the 48 KiB of static shared memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUWarpMMAToNVGPU : Pass<"attn-gpu-warp-mma-to-nvgpu"> {
  let summary = "Warp-level tile products (vector.contract 16x8x16) to "
                "nvgpu.ldmatrix + nvgpu.mma.sync";
  let description = [{
    Runs upstream's `convertVectorToNVVMCompatibleMMASync` (the
    `convert-vector-to-gpu{use-nvgpu=true}` conversion: ldmatrix and
    mma.sync with upstream's fragment layouts) on each loop that
    convert-attn-tile-to-gpu marked `attn.gpu.warp_mma`, after thread mapping.

    Not the upstream pass on the whole kernel: in MLIR 22 its analysis
    starts a slice at every op it considers an MMA elementwise op, scalar
    ones included, so any index `arith.addi`/`muli`/`subi`/`divui` in the
    kernel (there are many) enters the set of ops to convert and fails with
    "unhandled vector to mma type". The marked loops compute their indices
    with `affine.apply` only.

    bf16: upstream has no bf16 fragment types (vector-to-nvgpu) and no bf16
    lowering of nvgpu.mma.sync (nvgpu-to-nvvm: "failed to deduce operand PTX
    types"). The bf16 tiles are read through f16 views of the same shared
    bytes (ldmatrix only moves 16-bit elements), converted as f16, and the
    resulting mma.sync is emitted as `nvvm.mma.sync` with bf16
    multiplicands (A and B as packed i32 registers). A bf16 operand in a
    warp-private buffer (the register softmax's P) becomes an f16 buffer of
    the same bits: its stores store the bitcast values, its loads bitcast
    back; any other use is an error.

    A vector.contract left anywhere afterwards is an error.
  }];
  let dependentDialects = [
    "::mlir::nvgpu::NVGPUDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect", "::mlir::gpu::GPUDialect"
  ];
}

def GPUOccupancyHint : Pass<"attn-gpu-occupancy-hint", "::mlir::ModuleOp"> {
  let summary = "Tell ptxas how many blocks per SM the dynamic shared "
                "memory allows (nvvm.minctasm)";
  let description = [{
    For every `gpu.launch_func` with a constant dynamic shared memory size
    S, sets `nvvm.minctasm` = clamp(shared-per-sm / S, 1, 32) on its
    kernel (PTX `.minnctapersm`), at most 65536 / (R T) for a constant
    block of T threads, where R is the host function's
    `attn.gpu.min_registers` (set by `convert-attn-tile-to-gpu` from the
    accumulators a thread keeps in registers), at least 128. With only
    `.maxntid`, ptxas budgets registers for the occupancy the register
    file alone would allow (48 per thread at 128 threads) and spills the
    tensor-core kernels, although their shared memory admits one or two
    blocks per SM; the cap keeps at least R registers per thread where
    small tiles would admit many blocks (the hint is a lower bound on
    residency: a kernel needing fewer registers still runs more blocks).
    0 (unknown architecture) sets nothing.
  }];
  let options = [
    Option<"sharedPerSM", "shared-per-sm", "int64_t", "0",
           "Shared memory per SM available to blocks, in bytes (0: no hint)">
  ];
}

def GPUMergeKernelModules
    : Pass<"attn-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Put the kernels each host function launches into one "
                "gpu.module (one PTX image per function)";
  let description = [{
    `gpu-kernel-outlining` gives every `gpu.launch` a `gpu.module` of its
    own; a spec whose GPU form is several kernels (split-KV: the splits and
    their merge) would become several PTX images. This pass moves the
    kernels and the symbols they use (the schedule tables' globals) of the
    later modules a host function launches into the first one, renaming a
    symbol whose name is taken (`name_1`, ...), and points the
    `gpu.launch_func`s at them; the emptied modules are erased. A module
    launched from several host functions is left alone. So one PTX image
    holds every entry a spec function launches, and the library emitter
    loads one module per architecture.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUFastExp2 : Pass<"attn-gpu-fast-exp2"> {
  let summary = "Replace libdevice's __nv_exp2f and __nv_fmaf by LLVM "
                "intrinsics (PTX ex2.approx.f32, fma.rn.f32)";
  let description = [{
    Runs after convert-gpu-to-nvvm, which turns f32 `math.exp2` and
    `math.fma` into calls to libdevice (and rejects the LLVM intrinsics
    before it). The NVPTX backend selects `ex2.approx.f32` (relative error
    below 2^-22) for `llvm.exp2.f32` and `fma.rn.f32` for `llvm.fma.f32`.
    The GPU lowering writes the softmax exponentials as exp2(x * log2(e)),
    so a plain softmax kernel needs no libdevice at all; tanh, log, log1p
    and exp of the other normalizations still come from libdevice, which
    gpu-module-to-binary links from the CUDA toolkit.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def GPUDotAccumulate4Way : Pass<"attn-gpu-dot-accumulate-4way"> {
  let summary = "Four-byte integer dot products as PTX dp4a "
                "(nvvm.dot.accumulate.4way)";
  let description = [{
    The INT8 Q K^T score stage of convert-attn-tile-to-gpu (docs/gpu.md,
    "INT8 Q K^T") reads its i8 rows as words of 4 bytes and accumulates
    `acc + sum_t i32(a[t]) * i32(b[t])` as

    ```mlir
    %ea = arith.extsi %a : vector<4xi8> to vector<4xi32>
    %eb = arith.extsi %b : vector<4xi8> to vector<4xi32>
    %p = arith.muli %ea, %eb : vector<4xi32>
    %r = vector.reduction <add>, %p, %acc : vector<4xi32> into i32
    ```

    a portable form that the CPU runs before thread mapping. On the GPU
    this pass (in the GPU module, before the vector and arith ops are
    lowered) replaces each such chain by one
    `nvvm.dot.accumulate.4way %a <signed>, %b <signed>, %acc` (PTX
    `dp4a.s32.s32`, sm_61 and later): the same exact i32 result (the
    products of two i8 values and their sum with the accumulator, wrapping
    like the i32 adds it replaces), in one instruction instead of byte
    extractions, four multiplies and adds. Chains of another shape (other
    element types, zero extension, a multiply with other users) are left
    alone.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

def GPUExternDynamicSharedMemory
    : Pass<"attn-gpu-extern-dynamic-shared-memory"> {
  let summary = "Give the dynamic shared memory symbol external linkage";
  let description = [{
    convert-gpu-to-nvvm declares `gpu.dynamic_shared_memory` as an internal
    zero-sized `llvm.mlir.global` in address space 3, which the NVPTX
    backend demotes to a 1-byte static `.shared` variable; with external
    linkage it becomes `.extern .shared .align 16 .b8 name[]`, the PTX
    declaration of dynamic shared memory.
  }];
}

#endif // ATTN_CONVERSION_PASSES_TD
