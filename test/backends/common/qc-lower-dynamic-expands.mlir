// RUN: quant-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(qc-lower-dynamic-expands))' | FileCheck %s
// The rewritten form goes through upstream's pass (which crashes on the
// original, llvm-project issue 186830) and on to LLVM.
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qc-lower-dynamic-expands),expand-strided-metadata,finalize-memref-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM

// A product's rows [B*T, 8] expanded back to [B, T, 8]: the same bytes with
// row-major strides [T*8, 8, 1].
// CHECK-LABEL: func.func @rows_to_batch(
// CHECK-SAME:      %[[X:.*]]: memref<?x?x3xf32>, %[[ROWS:.*]]: memref<?x8xf32>
// CHECK-DAG:     %[[B:.*]] = memref.dim %[[X]], %c0
// CHECK-DAG:     %[[T:.*]] = memref.dim %[[X]], %c1
// CHECK:         %[[S0:.*]] = arith.muli %c8, %[[T]]
// CHECK:         %[[E:.*]] = memref.reinterpret_cast %[[ROWS]] to offset: [0], sizes: [%[[B]], %[[T]], 8], strides: [%[[S0]], 8, 1] : memref<?x8xf32> to memref<?x?x8xf32>
// CHECK-NOT:     memref.expand_shape
// CHECK:         return %[[E]]
// LLVM-LABEL: llvm.func @rows_to_batch(
// LLVM-NOT:     memref.
func.func @rows_to_batch(%x: memref<?x?x3xf32>, %rows: memref<?x8xf32>) -> memref<?x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %x, %c0 : memref<?x?x3xf32>
  %t = memref.dim %x, %c1 : memref<?x?x3xf32>
  %e = memref.expand_shape %rows [[0, 1], [2]] output_shape [%b, %t, 8] : memref<?x8xf32> into memref<?x?x8xf32>
  return %e : memref<?x?x8xf32>
}

// -----

// A negative case, left to upstream (no diagnostic: --verify-diagnostics
// fails on any): at most one dynamic size per group.
// CHECK-LABEL: func.func @left_alone(
// CHECK:         memref.expand_shape {{.*}} into memref<2x?x8xf32>
// CHECK-NOT:     memref.reinterpret_cast
// LLVM-LABEL: llvm.func @left_alone(
func.func @left_alone(%rows: memref<?x8xf32>, %t: index) -> memref<2x?x8xf32> {
  %e = memref.expand_shape %rows [[0, 1], [2]] output_shape [2, %t, 8] : memref<?x8xf32> into memref<2x?x8xf32>
  return %e : memref<2x?x8xf32>
}

// -----

// A strided source (the rows of a transposed view, as Conv -> Reshape ->
// Transpose -> Slice chains make): cast from its base buffer, with its
// offset; each group's last dimension takes the source stride, the one to
// its left that stride times the size to its right.
// CHECK-LABEL: func.func @strided_rows(
// CHECK-SAME:      %[[V:.*]]: memref<?x8xf32, strided<[?, ?], offset: ?>>, %[[B:.*]]: index, %[[T:.*]]: index
// CHECK:         %[[BASE:.*]], %[[OFF:.*]], %[[SIZES:.*]]:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %[[V]]
// CHECK:         %[[S0:.*]] = arith.muli %[[STRIDES]]#0, %[[T]]
// CHECK:         memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [%[[B]], %[[T]], 8], strides: [%[[S0]], %[[STRIDES]]#0, %[[STRIDES]]#1]
// CHECK-NOT:     memref.expand_shape
// LLVM-LABEL: llvm.func @strided_rows(
// LLVM-NOT:     memref.
func.func @strided_rows(%v: memref<?x8xf32, strided<[?, ?], offset: ?>>, %b: index, %t: index) -> memref<?x?x8xf32, strided<[?, ?, ?], offset: ?>> {
  %e = memref.expand_shape %v [[0, 1], [2]] output_shape [%b, %t, 8] : memref<?x8xf32, strided<[?, ?], offset: ?>> into memref<?x?x8xf32, strided<[?, ?, ?], offset: ?>>
  return %e : memref<?x?x8xf32, strided<[?, ?, ?], offset: ?>>
}

// -----

// A broadcast view (stride 0) split into two dynamic sizes: the outer
// stride is 0 times a size, a static 0 as in the result type (not a
// multiplication, which reinterpret_cast's verifier would refuse).
// CHECK-LABEL: func.func @broadcast_rows(
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [%{{.*}}, %{{.*}}, 8], strides: [0, 0, 1]
// CHECK-NOT:     memref.expand_shape
// LLVM-LABEL: llvm.func @broadcast_rows(
func.func @broadcast_rows(%v: memref<?x8xf32, strided<[0, 1], offset: ?>>, %b: index, %t: index) -> memref<?x?x8xf32, strided<[0, 0, 1], offset: ?>> {
  %e = memref.expand_shape %v [[0, 1], [2]] output_shape [%b, %t, 8] : memref<?x8xf32, strided<[0, 1], offset: ?>> into memref<?x?x8xf32, strided<[0, 0, 1], offset: ?>>
  return %e : memref<?x?x8xf32, strided<[0, 0, 1], offset: ?>>
}
