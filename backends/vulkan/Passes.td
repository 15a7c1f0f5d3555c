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
