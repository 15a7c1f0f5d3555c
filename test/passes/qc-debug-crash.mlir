// RUN: quant-opt %s --qc-debug-crash=only-if-function=absent | FileCheck %s
// RUN: not quant-opt %s --qc-debug-crash --mlir-pass-pipeline-crash-reproducer=%t.repro.mlir 2>&1 | FileCheck %s --check-prefix=CRASH
// RUN: FileCheck %s --check-prefix=REPRO < %t.repro.mlir
// RUN: not --crash quant-opt %s --qc-debug-crash=only-if-function=main 2>/dev/null

// Without the named function nothing happens.
// CHECK-LABEL: func.func @main(
// CHECK:         return

// Under MLIR's crash recovery the abort becomes an error naming the pass,
// and the reproducer holds the IR before the pipeline and the pipeline.
// CRASH: error: Failures have been detected while processing an MLIR pass pipeline
// CRASH: note: Pipeline failed while executing [`DebugCrash` on 'builtin.module' operation]: reproducer generated at
// REPRO: func.func @main(
// REPRO: pipeline: "builtin.module(qc-debug-crash

func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
