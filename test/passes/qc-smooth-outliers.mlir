// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-smooth-outliers | FileCheck %s
// RUN: not quant-opt %s --split-input-file --qc-smooth-outliers="alpha=0.5" 2>/dev/null | FileCheck %s --check-prefix=FIXED
// RUN: not quant-opt %s --split-input-file --qc-smooth-outliers="weight-bits=9" 2>&1 | FileCheck %s --check-prefix=BITS

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Channel 0 of x * gamma reaches 100, channel 1 only 1: one static int8
// scale per tensor (100 / 127) rounds channel 1 to a level or two. Two
// products read it (they share the factors); max |w| per row is 0.02 and 1.
// The search picks alpha 0.7: s = (100^0.7 / 0.02^0.3, 1) = (81.22, 1), so
// gamma becomes gamma / s (0.012311), row 0 of each weight is multiplied
// by 81.22 (0.01 -> 0.81225), the sampled rows and channel maxima are
// divided by s and the range becomes +-100 / 81.22 = +-1.2311.
// CHECK-LABEL: func.func @smoothed(
// CHECK:         %[[G:.*]] = arith.constant dense<[0.012311{{[0-9]*}}, 2.000000e+00]> : tensor<2xf32>
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[G]] : tensor<?x2xf32>, tensor<2xf32>)
// CHECK:         %[[O:.*]] = qc.observe %[[N]] {name = "n.input", qc.channel_max_abs = dense<[1.23114{{[0-9]*}}, 1.000000e+00]> : tensor<2xf32>, qc.input_sample = dense<{{\[\[}}1.23114{{[0-9]*}}, 1.000000e+00], [-0.98491{{[0-9]*}}, -5.000000e-01]
// CHECK-SAME:      range = #qc.range<-1.23114{{[0-9]*}}, 1.23114{{[0-9]*}}, minmax>
// CHECK:         %[[W1:.*]] = arith.constant dense<{{\[\[}}0.81225{{[0-9]*}}, -1.62450{{[0-9]*}}], [1.000000e+00, 5.000000e-01]]>
// CHECK:         qc.matmul %[[O]], %[[W1]]
// CHECK:         %[[W2:.*]] = arith.constant dense<{{\[\[}}0.40612{{[0-9]*}}], [-0.69999{{[0-9]*}}]]>
// CHECK:         qc.matmul %[[O]], %[[W2]]
// A fixed alpha 0.5: s_0 = sqrt(100 / 0.02) = 70.71 (the run fails on
// @uncalibrated, hence `not`).
// FIXED-LABEL: func.func @smoothed(
// FIXED:         arith.constant dense<[0.014142{{[0-9]*}}, 2.000000e+00]> : tensor<2xf32>
// BITS: error: qc-smooth-outliers: weight-bits and activation-bits must be in [2, 8]
func.func @smoothed(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>) {
  %gamma = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%d) : tensor<?x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %gamma : tensor<?x2xf32>, tensor<2xf32>) outs(%e : tensor<?x2xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<?x2xf32>
  // expected-remark @below {{SmoothQuant: alpha 7.000000e-01, output error 5.118055e-02 -> 1.059320e-05, smoothed}}
  %o = qc.observe %n {name = "n.input", qc.channel_max_abs = dense<[100.0, 1.0]> : tensor<2xf32>, qc.input_sample = dense<[[100.0, 1.0], [-80.0, -0.5], [90.0, 0.25], [-100.0, 0.75]]> : tensor<4x2xf32>, range = #qc.range<-100.0, 100.0, minmax>} : tensor<?x2xf32>
  %w1 = arith.constant dense<[[0.01, -0.02], [1.0, 0.5]]> : tensor<2x2xf32>
  %w2 = arith.constant dense<[[0.005], [-0.7]]> : tensor<2x1xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %y2 = qc.matmul %o, %w2 : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y1, %y2 : tensor<?x2xf32>, tensor<?x1xf32>
}

// -----

// Integer rows within the static range 127 and integer weights with column
// maxima 127: both grids hold them exactly (error 0), no alpha can do
// better, and the layer is left as it is.
// CHECK-LABEL: func.func @left_alone(
// CHECK:         %[[O:.*]] = qc.observe %arg0 {{.*}}range = #qc.range<-1.270000e+02, 1.270000e+02, minmax>
// CHECK-NEXT:    arith.constant dense<{{\[\[}}1.270000e+02, 1.000000e+00], [-1.270000e+02, 1.270000e+02]]>
// CHECK-NEXT:    qc.matmul %[[O]]
func.func @left_alone(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-remark @below {{SmoothQuant: alpha 0.000000e+00, output error 0.000000e+00 -> 0.000000e+00, left unsmoothed}}
  %o = qc.observe %x {name = "x.input", qc.channel_max_abs = dense<[127.0, 3.0]> : tensor<2xf32>, qc.input_sample = dense<[[127.0, 3.0], [-5.0, -2.0]]> : tensor<2x2xf32>, range = #qc.range<-127.0, 127.0, minmax>} : tensor<?x2xf32>
  %w = arith.constant dense<[[127.0, 1.0], [-127.0, 127.0]]> : tensor<2x2xf32>
  %y = qc.matmul %o, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// The observer is also returned: that reader keeps x, and the product
// reads a second observer of x * (1/s) (same name, statistics of x / s;
// static quantization takes its range from the observer it reads). With
// this one product alpha 0.1 wins: s_0 = 100^0.1 / 0.02^0.9 = 53.59.
// CHECK-LABEL: func.func @other_reader(
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<?x2xf32>, tensor<2xf32>)
// CHECK:         %[[S:.*]] = qc.observe %[[D]] {name = "x.input", qc.channel_max_abs = dense<[1.86606{{[0-9]*}}, 1.000000e+00]>
// CHECK:         %[[O:.*]] = qc.observe %arg0 {name = "x.input", qc.channel_max_abs = dense<[1.000000e+02, 1.000000e+00]>
// CHECK:         qc.matmul %[[S]]
// CHECK:         return %{{.*}}, %[[O]]
func.func @other_reader(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  // expected-remark @below {{SmoothQuant: alpha 1.000000e-01}}
  %o = qc.observe %x {name = "x.input", qc.channel_max_abs = dense<[100.0, 1.0]> : tensor<2xf32>, qc.input_sample = dense<[[100.0, 1.0], [-80.0, -0.5], [90.0, 0.25], [-100.0, 0.75]]> : tensor<4x2xf32>, range = #qc.range<-100.0, 100.0, minmax>} : tensor<?x2xf32>
  %w1 = arith.constant dense<[[0.01, -0.02], [1.0, 0.5]]> : tensor<2x2xf32>
  %y1 = qc.matmul %o, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y1, %o : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// An observer feeding weight products without sampled rows is an error
// (the layer would silently stay unsmoothed); one feeding no weight product
// is left alone.
func.func @uncalibrated(%z: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  // expected-error @below {{'qc.observe' op feeds weight products but has no qc.channel_max_abs of 2 values and qc.input_sample of [S, 2] rows (a stats file from `quantc calibrate --row-samples N`, through qc-apply-stats)}}
  %p = qc.observe %z {name = "z.input", qc.channel_max_abs = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<?x2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = qc.matmul %p, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// CHECK-LABEL: func.func @no_products(
// CHECK:         qc.observe %arg0 {name = "a.input"}
func.func @no_products(%a: tensor<?x2xf32>, %b: tensor<2x?xf32>) -> tensor<?x?xf32> {
  %o = qc.observe %a {name = "a.input"} : tensor<?x2xf32>
  %y = qc.matmul %o, %b : (tensor<?x2xf32>, tensor<2x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
