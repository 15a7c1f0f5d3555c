// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5" --qc-quantize-weights="bits=4" 2>/dev/null | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=5.5 layer-bits=a=8" 2>/dev/null | FileCheck %s --check-prefix=FIXED
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json budget=1.5" 2>&1 | FileCheck %s --check-prefix=LOW
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json layer-bits=a=9" 2>&1 | FileCheck %s --check-prefix=BADBITS
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json size-budget=124" 2>/dev/null | FileCheck %s --check-prefix=SIZE
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json size-budget=124" 2>&1 >/dev/null | FileCheck %s --check-prefix=SIZE-REMARK
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json size-budget=123" 2>/dev/null | FileCheck %s --check-prefix=SIZE123
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity.json size-budget=95" 2>&1 | FileCheck %s --check-prefix=SMALL
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity-refined.json budget=5.5" 2>/dev/null | FileCheck %s --check-prefix=REFINED
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity-refined.json budget=5.5" 2>&1 >/dev/null | FileCheck %s --check-prefix=REFINED-REMARK
// RUN: quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%S/Inputs/sensitivity-refined.json budget=4.5" 2>&1 >/dev/null | FileCheck %s --check-prefix=UNFIT
// RUN: sed 's/"c": 4}/"c": 9}/' %S/Inputs/sensitivity-refined.json > %t.bad.json
// RUN: not quant-opt %s --split-input-file --qc-allocate-bits="sensitivity-file=%t.bad.json budget=5.5" 2>&1 | FileCheck %s --check-prefix=BADMIX

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
// The summary also counts bytes as qc-lower-quantized stores them: codes
// a 4x4 at 4 bits 8, b 4x4 at 2 bits 4, c 4x8 at 8 bits 32; one f32 scale
// per column, 16 + 16 + 32 bytes.
// REMARK:        remark: bit allocation: 5.500000e+00 code bits per weight over 64 weights (budget 5.500000e+00); their codes 44 bytes, scales and zero points 64 bytes; with the rest of the model 108 bytes; predicted loss change 6.000000e-02 (single-layer sum 4.000000e-02 x joint ratio 1.500000e+00)
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
//
// size-budget counts bytes: options a and b 20/24/32 bytes at 2/4/8 bits,
// c 40/48/64, and 16 bytes of the float bias that @sized also holds. At
// 124 bytes, brute force: a 4, b 2, c 8 (loss 0.04) takes all of them; at
// 123 c no longer fits at 8 and a 8, b 4, c 4 (0.305) is best (a 4, b 8:
// 0.31). The smallest mix, every product at 2 bits, is 96 bytes.
// SIZE-LABEL: func.func @sized(
// SIZE:         qc.weight_bits = 4
// SIZE:         qc.weight_bits = 2
// SIZE:         qc.weight_bits = 8
// SIZE-REMARK: remark: bit allocation: 5.500000e+00 code bits per weight over 64 weights (size budget 124 bytes); their codes 44 bytes, scales and zero points 64 bytes; with the rest of the model 124 bytes;
// SIZE123-LABEL: func.func @sized(
// SIZE123:         qc.weight_bits = 8
// SIZE123:         qc.weight_bits = 4
// SIZE123:         qc.weight_bits = 4
// SMALL: error: qc-allocate-bits: a size budget of 95 bytes is below the smallest mix (96 bytes, of which 16 do not depend on the widths)
//
// A mix the report refined against the measured loss (a 8, b 4, c 4: 320
// code bits, measured 0.05) beats the knapsack's prediction (0.06) at 5.5
// bits; at 4.5 bits (288) it does not fit.
// REFINED-LABEL: func.func @mix(
// REFINED:         qc.weight_bits = 8
// REFINED:         qc.weight_bits = 4
// REFINED:         qc.weight_bits = 4
// REFINED-REMARK: remark: bit allocation: 5.000000e+00 code bits per weight {{.*}} predicted loss change 5.000000e-02 (the mix refined for 5.50 bits against the measured loss by `quantc sensitivity --refine`)
// UNFIT-NOT:   refined
// UNFIT:       remark: bit allocation: 4.{{[0-9]+}}e+00 code bits per weight {{.*}} x joint ratio
// BADMIX: error: qc-allocate-bits: {{.*}}bad.json' has a malformed "allocations" entry
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

// -----

// CHECK-LABEL: func.func @sized(
func.func @sized(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>, tensor<4xf32>) {
  %wa = arith.constant dense<0.5> : tensor<4x4xf32>
  %wb = arith.constant dense<0.25> : tensor<4x4xf32>
  %wc = arith.constant dense<0.125> : tensor<4x8xf32>
  %bias = arith.constant dense<1.0> : tensor<4xf32>
  %a = qc.matmul %x, %wa : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc(fused["a", "x.onnx":1:1])
  %b = qc.matmul %x, %wb : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc(fused["b", "x.onnx":2:1])
  %c = qc.matmul %x, %wc : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32> loc(fused["c", "x.onnx":3:1])
  return %a, %b, %c, %bias : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x8xf32>, tensor<4xf32>
}
