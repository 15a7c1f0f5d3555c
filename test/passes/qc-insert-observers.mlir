// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-insert-observers | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-insert-observers="activation-products=false" | FileCheck %s --check-prefix=WEIGHTS

// One observer per activation, named after its first consumer; the constant
// weights are not observed; all three projections read the observed value.
// CHECK-LABEL: func.func @shared_input(
// CHECK-SAME:    %[[X:.*]]: tensor<1x?x64xf32>
// CHECK:         %[[OBS:.*]] = qc.observe %[[X]] {name = "wq.input"} : tensor<1x?x64xf32>
// CHECK-COUNT-3: qc.matmul %[[OBS]], %{{.*}}
// CHECK-NOT:     qc.observe
func.func @shared_input(%x: tensor<1x?x64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>) {
  %wq = arith.constant dense<0.5> : tensor<64x64xf32>
  %wk = arith.constant dense<0.5> : tensor<64x32xf32>
  %q = qc.matmul %x, %wq : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32> loc("wq")
  %k = qc.matmul %x, %wk : (tensor<1x?x64xf32>, tensor<64x32xf32>) -> tensor<1x?x32xf32> loc("wk")
  %v = qc.matmul %x, %wk : (tensor<1x?x64xf32>, tensor<64x32xf32>) -> tensor<1x?x32xf32> loc("wv")
  return %q, %k, %v : tensor<1x?x64xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>
}

// -----

// Both operands of an activation product (attention's q * k^T) are observed
// as lhs and rhs, unless activation-products=false.
// CHECK-LABEL: func.func @activation_product(
// CHECK-DAG:     qc.observe %{{.*}} {name = "scores.lhs"}
// CHECK-DAG:     qc.observe %{{.*}} {name = "scores.rhs"}
// WEIGHTS-LABEL: func.func @activation_product(
// WEIGHTS-NOT:   qc.observe
func.func @activation_product(%q: tensor<8x?x8xf32>, %k: tensor<8x8x?xf32>) -> tensor<8x?x?xf32> {
  %s = qc.matmul %q, %k : (tensor<8x?x8xf32>, tensor<8x8x?xf32>) -> tensor<8x?x?xf32> loc("scores")
  return %s : tensor<8x?x?xf32>
}

// -----

// A value computed with a -3.4e38 fill (a causal mask) is not observed; an
// already observed value is not observed again; a conv's input is.
// CHECK-LABEL: func.func @masks_and_observed(
// WEIGHTS-LABEL: func.func @masks_and_observed(
// CHECK:         %[[M:.*]] = linalg.generic
// CHECK-NOT:     qc.observe %[[M]]
// CHECK:         qc.gemm %[[M]]
// CHECK:         qc.observe %{{.*}} {name = "already"}
// CHECK-NOT:     qc.observe
// CHECK:         qc.conv
func.func @masks_and_observed(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %img: tensor<1x3x8x8xf32>, %f: tensor<2x3x3x3xf32>) -> (tensor<4x4xf32>, tensor<1x2x6x6xf32>) {
  %e = tensor.empty() : tensor<4x4xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %low = arith.constant -3.40282347E+38 : f32
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %a, %z : f32
    %r = arith.select %c, %a, %low : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %cw = arith.constant dense<1.0> : tensor<4x4xf32>
  %y = qc.gemm %m, %cw : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("masked")
  %o = qc.observe %img {name = "already"} : tensor<1x3x8x8xf32>
  %c = qc.conv %o, %f {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<2x3x3x3xf32>) -> tensor<1x2x6x6xf32> loc("conv")
  return %y, %c : tensor<4x4xf32>, tensor<1x2x6x6xf32>
}

// -----

// An observer name that already exists is an error, not a silent merge. (An
// op without a node name is named after its op: "qc.matmul.input".)
func.func @name_collision(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %o = qc.observe %x {name = "qc.matmul.input"} : tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %h = arith.addf %x, %x : tensor<2x4xf32>
  // expected-error @below {{'qc.matmul' op observer name 'qc.matmul.input' is already used}}
  %y = qc.matmul %h, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %o, %y : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// The importer copies the layers after an If whose branches differ in rank
// into both branches, marking each copy's location (qc::kCopiedNodeFile):
// the two copies of "fc" never both run and share one observer name (one
// calibration entry). Two different nodes of one name in the two branches
// (no marker), or a same-named product outside the If, still collide.
// CHECK-LABEL: func.func @branch_copies(
// CHECK-DAG:     %[[A:.*]] = qc.observe %{{.*}} {name = "fc.input"} : tensor<1x3xf32>
// CHECK-DAG:     %[[B:.*]] = qc.observe %{{.*}} {name = "fc.input"} : tensor<?x3xf32>
// CHECK:         scf.if
// CHECK:           qc.matmul %[[A]]
// CHECK:         } else {
// CHECK:           qc.matmul %[[B]]
func.func @branch_copies(%c: i1, %x: tensor<?x3xf32>, %v: tensor<1x3xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x8xf32>
  %r = scf.if %c -> (tensor<?x8xf32>) {
    %y = qc.matmul %v, %w : (tensor<1x3xf32>, tensor<3x8xf32>) -> tensor<1x8xf32> loc("fc"("onnx-node-copy":7:0))
    %d = tensor.cast %y : tensor<1x8xf32> to tensor<?x8xf32>
    scf.yield %d : tensor<?x8xf32>
  } else {
    %y = qc.matmul %x, %w : (tensor<?x3xf32>, tensor<3x8xf32>) -> tensor<?x8xf32> loc("fc"("onnx-node-copy":7:0))
    scf.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}

// -----

func.func @copy_outside_the_if(%c: i1, %x: tensor<2x3xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x8xf32>
  %r = scf.if %c -> (tensor<2x8xf32>) {
    %y = qc.matmul %x, %w : (tensor<2x3xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
    scf.yield %y : tensor<2x8xf32>
  } else {
    %z0 = arith.constant dense<0.0> : tensor<2x8xf32>
    scf.yield %z0 : tensor<2x8xf32>
  }
  %h = arith.addf %x, %x : tensor<2x3xf32>
  // expected-error @below {{'qc.matmul' op observer name 'qc.matmul.input' is already used}}
  %z = qc.matmul %h, %w : (tensor<2x3xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

func.func @same_name_not_a_copy(%c: i1, %x: tensor<2x3xf32>, %v: tensor<2x3xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x8xf32>
  %r = scf.if %c -> (tensor<2x8xf32>) {
    %y = qc.matmul %v, %w : (tensor<2x3xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
    scf.yield %y : tensor<2x8xf32>
  } else {
    // expected-error @below {{'qc.matmul' op observer name 'qc.matmul.input' is already used}}
    %y = qc.matmul %x, %w : (tensor<2x3xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
    scf.yield %y : tensor<2x8xf32>
  }
  return %r : tensor<2x8xf32>
}
