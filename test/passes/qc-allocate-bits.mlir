// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" --qc-quantize-weights="bits=4" 2>/dev/null | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5 layer-bits=a=8" 2>/dev/null | FileCheck %s --check-prefix=FIXED
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=1.5" 2>&1 | FileCheck %s --check-prefix=LOW
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json layer-bits=a=9" 2>&1 | FileCheck %s --check-prefix=BADBITS
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING

// Three products of 16, 16 and 32 weights (64 in all) and a budget of 5.5
// bits per weight (352 code bits). The report's losses: a {2: 0.5, 4: 0.01,
// 8: 0}, b {2: 0.02, 4: 0.005, 8: 0}, c {2: 0.9, 4: 0.3, 8: 0.01}. Brute
// force over the 27 mixes: c at 8 (256 bits) leaves 96 for a and b: a 4,
// b 2 (loss 0.04, all 352 bits) beats a 2, b 4 (0.515); every mix without
// c at 8 loses at least 0.3. The function's remark scales the single-layer
// sum by the report's measured mix ratio, clamped beyond its last mix (5
// bits: 0.15 / 0.1 = 1.5).
// A remark per product (at its node) and one for the function.
// REMARK:        x.onnx:1:1: remark: bit allocation: 4 bits, predicted loss change 1.000000e-02
// REMARK:        x.onnx:2:1: remark: bit allocation: 2 bits, predicted loss change 2.000000e-02
// REMARK:        x.onnx:3:1: remark: bit allocation: 8 bits, predicted loss change 1.000000e-02
// REMARK:        remark: bit allocation: 5.500000e+00 code bits per weight over 64 weights (budget 5.500000e+00); predicted loss change 6.000000e-02 (single-layer sum 4.000000e-02 x joint ratio 1.500000e+00)
// CHECK-LABEL: func.func @mix(
// CHECK:         qc.matmul {{.*}} {qc.weight_bits = 4 : i64}
// CHECK:         qc.matmul {{.*}} {qc.weight_bits = 2 : i64}
// CHECK:         qc.matmul {{.*}} {qc.weight_bits = 8 : i64}
// qc-quantize-weights gives each its width (4 is the option's default).
// QUANT-LABEL: func.func @mix(
// QUANT:         !quant.uniform<i4:f32:1
// QUANT:         !quant.uniform<i2:f32:1
// QUANT:         !quant.uniform<i8:f32:1
// layer-bits fixes a at 8 (128 bits): c at 8 no longer fits, so b 4 and
// c 4 (loss 0.305).
// FIXED-LABEL: func.func @mix(
// FIXED:         qc.weight_bits = 8
// FIXED:         qc.weight_bits = 4
// FIXED:         qc.weight_bits = 4
// LOW: error: qc-allocate-bits: a budget of 1.5{{.*}} bits per weight is below the cheapest mix (2{{.*}})
// BADBITS: error: qc-allocate-bits: layer-bits takes PATTERN=BITS with BITS in [2, 8], not 'a=9'
// MISSING: error: qc-allocate-bits: cannot read sensitivity file '{{.*}}missing.json'
func.func @mix(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>) {
  %wa = arith.constant dense<0.5> : tensor<4x4xf32>
  %wb = arith.constant dense<0.25> : tensor<4x4xf32>
  %wc = arith.constant dense<0.125> : tensor<4x8xf32>
  %a = qc.matmul %x, %wa : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc(fused["a", "x.onnx":1:1])
  %b = qc.matmul %x, %wb : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc(fused["b", "x.onnx":2:1])
  %c = qc.matmul %x, %wc : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32> loc(fused["c", "x.onnx":3:1])
  return %a, %b, %c : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>
}

// -----

// Products the report does not name keep no width (qc-quantize-weights'
// option applies); a function without any gets a warning.
// REMARK:        warning: qc-allocate-bits: no weight product of this function is in the sensitivity report
// CHECK-LABEL: func.func @unnamed(
// CHECK-NOT:     qc.weight_bits
func.func @unnamed(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4xf32>
  %y = qc.matmul %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
