//===- Passes.td - Vulkan backend passes -------------------*- tablegen -*-===//

#ifndef QUANTC_BACKENDS_VULKAN_PASSES_TD
#define QUANTC_BACKENDS_VULKAN_PASSES_TD

include "mlir/Pass/PassBase.td"

def SetEntryPointAbi : Pass<"qc-vulkan-set-entry-point-abi",
                            "gpu::GPUModuleOp"> {
  let summary = "Give each GPU kernel the SPIR-V entry point ABI of its "
                "workgroup size";
  let description = [{
    `convert-parallel-loops-to-gpu` records each kernel's workgroup size as
    `known_block_size` on the outlined `gpu.func`, but `convert-gpu-to-spirv`
    reads it only from `spirv.entry_point_abi` (and fails without it); the
    one upstream pass that sets the ABI is a test pass applying one size to
    every kernel. This pass copies `known_block_size` of every kernel into
    `spirv.entry_point_abi`. A kernel without `known_block_size` is an error.
    It also copies the module's SPIR-V target (from `spirv-attach-target`)
    into the `spirv.target_env` attribute, where the math-to-SPIR-V patterns
    look for it (without it they assume the default environment and leave
    f64 and f16 math unconverted).

    ```mlir
    gpu.func @k(...) kernel attributes {known_block_size = array<i32: 16, 16, 1>}
    // becomes
    gpu.func @k(...) kernel attributes {known_block_size = array<i32: 16, 16, 1>,
        spirv.entry_point_abi = #spirv.entry_point_abi<workgroup_size = [16, 16, 1]>}
    ```
  }];
  let dependentDialects = ["spirv::SPIRVDialect"];
}

def ParallelLoopsOutermost : Pass<"qc-vulkan-parallel-loops-outermost",
                                  "func::FuncOp"> {
  let summary = "Interchange linalg loops so that every parallel loop is "
                "outside every reduction";
  let description = [{
    `convert-linalg-to-parallel-loops` turns the loops of a linalg op into
    one `scf.parallel` per run of parallel loops; a parallel loop inside a
    reduction (the quantized kernels' `(row, group, ..., column)` order,
    which suits the CPU's vectorizer) becomes an `scf.parallel` nested in a
    sequential loop, which `convert-parallel-loops-to-gpu` cannot map and
    SPIR-V conversion then rejects. This pass generalizes such ops and
    interchanges their loops to all parallel loops (in order) followed by
    all reductions (in order). Ops already in that order are untouched.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def TileParallelLoops : Pass<"qc-vulkan-tile-parallel-loops",
                             "func::FuncOp"> {
  let summary = "Tile parallel loops into workgroups whose shape follows "
                "the loops' extents";
  let description = [{
    Splits every outermost `scf.parallel` into workgroups (outer loop) and
    threads (inner loop) for `gpu-map-parallel-loops{innermost-first}` and
    `convert-parallel-loops-to-gpu`. The three innermost dimensions share
    `threads` threads, the innermost (contiguous) one taking up to
    `innermost` of them; a dimension's tile never exceeds its static extent,
    so a 16 x 8 nest becomes one 16 x 8 workgroup instead of a ragged
    16 x 16 tile. Upstream `scf-parallel-loop-tiling` tiles the leading
    dimensions instead, and leaves a ragged bound as
    `affine.min(16 * 1, n - i)`, from which the GPU mapping cannot derive a
    workgroup size; here the bound computations are folded so that the
    constant sits in the `affine.min` map.

    A sequential loop nest at the top level of the function (the `scf.for`
    of a full reduction) is wrapped in a one-iteration `scf.parallel` so
    that it becomes a one-thread kernel rather than host code. A nest of
    more than three dimensions first has all but its two innermost
    dimensions collapsed into one (upstream `collapseParallelLoops`, the
    bounds folded): a grid has three dimensions, and the GPU mapping runs
    the others sequentially inside each thread (a (1, 4, 1, 8, S) copy was
    4 one-thread workgroups).

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) { ... }
    // becomes
    scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c16, %c8) {
      scf.parallel (%ii, %jj) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) { ... }
    }
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per workgroup shared by the three innermost dimensions">,
    Option<"innermost", "innermost", "int64_t", /*default=*/"64",
           "Most threads along the innermost dimension of a multi-dimensional "
           "loop">,
  ];
  let dependentDialects = ["affine::AffineDialect", "arith::ArithDialect",
                           "scf::SCFDialect"];
}

def SinkIndexComputations : Pass<"qc-vulkan-sink-index-computations",
                                 "func::FuncOp"> {
  let summary = "Sink constants and index arithmetic into gpu.launch, but "
                "not memref.dim";
  let description = [{
    Like upstream `gpu-launch-sink-index-computations` (and through the same
    `sinkOperationsIntoLaunchOp`), moves constants and pure index arithmetic
    used by a `gpu.launch` body into it, so that they do not become kernel
    arguments (each scalar argument costs a storage buffer binding in
    SPIR-V). Unlike upstream, `memref.dim` stays outside: SPIR-V has no way
    to read the size of a run-time array, so a dynamic size must reach the
    kernel as an argument.
  }];
}

def LowerLaunches : Pass<"qc-vulkan-lower-launches", "ModuleOp"> {
  let summary = "Serialize the SPIR-V kernels into the artifact and turn "
                "gpu.launch_func into runtime calls";
  let description = [{
    The host half of the Vulkan lowering. Every `spirv.module` is serialized
    (upstream `spirv::serialize`) into one public constant,
    `quantc_kernels` (i8), which the runtime parses at load time:
    `"QCVK"`, u32 version 2, u32 kernel count, then per kernel its entry
    point name (u32 length, bytes padded to 4), u32 binding count, u32 bits
    of the optional capabilities its module declares (Int8 1,
    StorageBuffer8BitAccess 2, Int16 4, Float16 8, Int64 16,
    StorageBuffer16BitAccess 32, Float64 64), u32 push-constant count and
    the binding each member replaces (`qc.push_constants`, from
    `qc-vulkan-push-constants`), u32 word count and the SPIR-V words. Each `gpu.launch_func` becomes a call of
    `quantc_gpu_dispatch(id, grid x, grid y, grid z, n, records)`, where
    `records` addresses n `{value, bytes, kind}` i64 triples, one per kernel
    argument and so per binding (descriptor set 0, binding i): kind 0 is a
    buffer (the aligned base address and the bytes its sizes and strides
    reach), kind 1 a scalar (its bits and size; index is i32 in the
    kernels; the runtime pushes it when the table lists its binding as a
    push constant). The runtime batches dispatches; a call of `quantc_gpu_sync()`
    precedes every later host op that may read or write memory (copies,
    loads, calls, the return). A `memref.copy` between row-major buffers
    (identity layouts, whole-byte elements) becomes
    `quantc_gpu_copy(source, target, bytes)`, queued like a dispatch: a
    device copy where both are device buffers, a host copy after a sync
    otherwise. The functions are declared here and forwarded to the
    runtime by the artifact emitter. The `gpu.module` and
    `spirv.module` ops are removed.

    ```mlir
    gpu.launch_func @k::@k blocks in (%c4, %c1, %c1) threads in (%c64, %c1, %c1)
        args(%buf : memref<256xf32>)
    // becomes
    %r = memref.alloca() : memref<3xi64>
    ... stores of the base address, 1024, 0 ...
    call @quantc_gpu_dispatch(%c0_i64, %c4_i64, %c1_i64, %c1_i64, %c1_i64, %addr)
    ```
  }];
  let dependentDialects = ["arith::ArithDialect", "func::FuncDialect",
                           "memref::MemRefDialect"];
}

def PushConstants : Pass<"qc-vulkan-push-constants", "spirv::ModuleOp"> {
  let summary = "Pass scalar kernel arguments as push constants instead of "
                "one storage buffer each";
  let description = [{
    `convert-gpu-to-spirv` gives every scalar kernel argument (a dynamic
    size, stride or offset) its own storage buffer, `struct<(i32 [0])>` at
    descriptor set 0, binding i, and upstream lowers at most one
    push-constant block per entry point. This pass packs the 32-bit scalars
    into that one block: argument i becomes member j of
    `@__push_constants` (PushConstant storage, offset 4 j), its storage
    buffer is removed, and the module's `qc.push_constants` attribute lists
    the moved bindings in member order, which `qc-vulkan-lower-launches`
    puts in the kernel table and the runtime feeds with
    `vkCmdPushConstants`. At most 32 scalars (128 bytes, the size every
    Vulkan device allows) move; others, and scalars of other widths or
    used other than by a load, stay storage buffers.

    ```mlir
    spirv.GlobalVariable @arg_0 bind(0, 0) : !spirv.ptr<!spirv.struct<(i32 [0])>, StorageBuffer>
    %a = spirv.mlir.addressof @arg_0 : ...
    %p = spirv.AccessChain %a[%c0] : ... -> !spirv.ptr<i32, StorageBuffer>
    // becomes
    spirv.GlobalVariable @__push_constants : !spirv.ptr<!spirv.struct<(i32 [0])>, PushConstant>
    %a = spirv.mlir.addressof @__push_constants : ...
    %p = spirv.AccessChain %a[%c0] : ... -> !spirv.ptr<i32, PushConstant>
    ```
  }];
}

def LinearizeAccesses : Pass<"qc-vulkan-linearize-accesses",
                             "func::FuncOp"> {
  let summary = "Address dynamically shaped N-d buffers as 1-d inside "
                "parallel loops";
  let description = [{
    SPIR-V conversion linearizes an N-d `memref.load`/`memref.store` index
    with the memref's strides, which must be static; a row-major buffer
    with a dynamic size beyond the first dimension (`memref<1x?x64xf32>`)
    or a slice with a dynamic offset fails to legalize. For every access
    inside a loop to a buffer whose strides or offset are not all static,
    this pass takes the buffer's `memref.extract_strided_metadata` where it
    is defined, views the base as 1-d there (`memref.reinterpret_cast` to
    `memref<?xT>` reaching one past the last addressed element; host code),
    and rewrites the access to the linear index
    `offset + i0 * s0 + i1 * s1 + ...`. Offset and strides then reach the
    kernel as scalar arguments. (Upstream `flatten-memref` produces invalid
    dynamic allocations in MLIR 22.)
  }];
  let dependentDialects = ["arith::ArithDialect", "memref::MemRefDialect"];
}

def HoistAccumulators : Pass<"qc-vulkan-hoist-accumulators",
                             "func::FuncOp"> {
  let summary = "Keep reduction accumulators in registers instead of the "
                "output buffer";
  let description = [{
    `convert-linalg-to-parallel-loops` lowers every reduction as a load and
    a store of the output element per step of the reduction loop: on a GPU,
    a global-memory round trip per multiply-add (../shared/PIPELINES.md
    measured the register form 5x faster on lavapipe). When the body of an
    `scf.for` loads one element of a buffer and later stores to the same
    element, at indices defined outside the loop, and nothing else in the
    loop reads or writes that buffer's allocation (views are traced to it),
    the load moves before the loop, the value is carried as an iter_arg and
    the store moves after the loop. Loops are visited innermost first, so
    the accumulator also leaves enclosing reduction loops (a convolution's
    window). Only loops inside an `scf.parallel` are considered (a top-level
    sequential nest becomes a one-thread kernel as a whole); loops with calls
    or other side effects are left alone.

    ```mlir
    scf.for %k = %c0 to %n step %c1 {
      %c = memref.load %C[%i, %j] : memref<64x64xf32>
      ... %s = arith.addf %c, %p : f32
      memref.store %s, %C[%i, %j] : memref<64x64xf32>
    }
    // becomes
    %c0v = memref.load %C[%i, %j] : memref<64x64xf32>
    %r = scf.for %k = %c0 to %n step %c1 iter_args(%c = %c0v) -> (f32) {
      ... %s = arith.addf %c, %p : f32
      scf.yield %s : f32
    }
    memref.store %r, %C[%i, %j] : memref<64x64xf32>
    ```
  }];
  let dependentDialects = ["memref::MemRefDialect", "scf::SCFDialect"];
}

def BlockRegisters : Pass<"qc-vulkan-block-registers", "func::FuncOp"> {
  let summary = "Give each thread a block of a reduction's outputs "
                "(unroll-and-jam)";
  let description = [{
    Runs after `qc-vulkan-hoist-accumulators`. For an `scf.parallel` whose
    body is pure ops and loads, one `scf.for` carrying accumulators, then
    pure ops and stores (a contraction, a convolution, a quantized product),
    the two innermost parallel dimensions step by a factor (`factor`, else
    half of it, where it divides the dimension's static extent) and the body
    is cloned once per element of the block, the clones' reduction loops
    jammed into one loop that carries every accumulator. CSE then shares the
    loads the clones have in common: a 4 x 4 block of a matmul loads 8
    values per 16 multiply-adds instead of 32. Dimensions with dynamic or
    non-divisible extents keep factor 1.

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
      %c = memref.load %C[%i, %j]
      %r = scf.for %k ... iter_args(%acc = %c) -> (f32) { ... }
      memref.store %r, %C[%i, %j]
    }
    // becomes, with factor 4:
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c4, %c4) {
      16 loads of C[%i + u, %j + v]
      %r:16 = scf.for %k ... iter_args(16 accumulators) -> (f32, ...) { ... }
      16 stores
    }
    ```
  }];
  let options = [
    Option<"factor", "factor", "int64_t", /*default=*/"4",
           "Largest block size along each of the two innermost dimensions">,
  ];
  let dependentDialects = ["arith::ArithDialect", "scf::SCFDialect"];
}

def TileMatmuls : Pass<"qc-vulkan-tile-matmuls", "func::FuncOp"> {
  let summary = "Write matmuls as tiled kernels with workgroup memory and "
                "register accumulators";
  let description = [{
    Rewrites every `linalg.matmul` on 2-d buffers (default indexing maps)
    that is f32 x f32 -> f32, or integers of up to 32 bits accumulated in
    i32 (W8A8's i8 x i8 -> i32), into a `gpu.launch` in the classic tiled
    form: 16 x 16 threads per workgroup own a 64 x 64 tile of C; for each
    16-wide slice of K they copy the 64 x 16 slice of A and the 16 x 64
    slice of B into workgroup memory (`memref.alloc` in memory space 3, a
    Workgroup variable after SPIR-V conversion; integers widened to i32 as
    the matmul's cast says, so no 8-bit workgroup storage is needed)
    between `gpu.barrier`s, and each thread accumulates its 4 x 4 block of
    C in registers from there (8 workgroup-memory loads per 16
    multiply-adds, global memory touched once per slice). C is read once
    before and written once after. Every global load and store is guarded,
    so ragged and dynamic sizes are handled (out-of-range elements read as
    0). Other matmul-like ops (batched and 4-d attention products, the
    W4A16 product with its in-kernel unpacking, convolutions) keep the
    parallel-loop path with `qc-vulkan-hoist-accumulators` and
    `qc-vulkan-block-registers`.
  }];
  let dependentDialects = ["arith::ArithDialect", "gpu::GPUDialect",
                           "memref::MemRefDialect", "scf::SCFDialect"];
}

def CheckOutlined : Pass<"qc-vulkan-check-outlined", "func::FuncOp"> {
  let summary = "Every loop of a host function became a GPU kernel";
  let description = [{
    After `gpu-kernel-outlining`, host functions should only allocate
    buffers and launch kernels. A loop left there (`scf.parallel` that
    `convert-parallel-loops-to-gpu` could not map, e.g. a nest whose tiled
    bounds it cannot derive, or the `scf.for` of a full reduction) would
    have nowhere to run in a Vulkan artifact: it is an error at the loop's
    location instead of a silent hole in the program.
  }];
}

#endif // QUANTC_BACKENDS_VULKAN_PASSES_TD
