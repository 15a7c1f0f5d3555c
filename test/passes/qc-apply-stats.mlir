// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-apply-stats="stats-file=%S/Inputs/stats.json" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-apply-stats="stats-file=%S/Inputs/stats.json allow-missing=true" | FileCheck %s --check-prefix=LENIENT
// RUN: not quant-opt %s --split-input-file --qc-apply-stats="stats-file=%S/Inputs/truncated-stats.json" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not quant-opt %s --split-input-file --qc-apply-stats="stats-file=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=UNREADABLE
// RUN: not quant-opt %s --split-input-file --qc-apply-stats="stats-file=%S/Inputs/bad-range-stats.json" 2>&1 | FileCheck %s --check-prefix=BADRANGE
// RUN: quant-opt %s --split-input-file --qc-apply-stats="stats-file=%S/Inputs/channel-stats.json allow-missing=true" | FileCheck %s --check-prefix=CHANNELS
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/write_gram_stats.py %t/gram.json
// RUN: quant-opt %s --split-input-file --qc-apply-stats="stats-file=%t/gram.json allow-missing=true" | FileCheck %s --check-prefix=GRAM
// RUN: %python %S/Inputs/write_gram_stats.py %t/bad-gram.json --bad-offset
// RUN: not quant-opt %s --split-input-file --qc-apply-stats="stats-file=%t/bad-gram.json allow-missing=true" 2>&1 | FileCheck %s --check-prefix=BADGRAM
// RUN: %python %S/Inputs/write_gram_stats.py %t/bad-sample.json --bad-sample
// RUN: not quant-opt %s --split-input-file --qc-apply-stats="stats-file=%t/bad-sample.json allow-missing=true" 2>&1 | FileCheck %s --check-prefix=BADSAMPLE

// Listed observers get the file's range and observer (minmax by default).
// CHECK-LABEL: func.func @listed(
// CHECK:         qc.observe %{{.*}} {name = "fc1.input", range = #qc.range<-1.500000e+00, 2.250000e+00, kl>}
// CHECK:         qc.observe %{{.*}} {name = "fc2.input", range = #qc.range<0.000000e+00, 6.000000e+00, minmax>}
// MALFORMED: error: stats file '{{.*}}truncated-stats.json' is not valid JSON
// UNREADABLE: error: cannot read stats file '{{.*}}missing.json'
// BADRANGE: error: stats for 'bad.input' have an invalid range [3.000000, -3.000000]
func.func @listed(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = qc.observe %x {name = "fc1.input"} : tensor<4xf32>
  %b = qc.observe %y {name = "fc2.input"} : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// An observer the file does not list is an error (allow-missing leaves it
// without a range).
// LENIENT-LABEL: func.func @unlisted(
// LENIENT:         qc.observe %{{.*}} {name = "fc3.input"} : tensor<4xf32>
func.func @unlisted(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'qc.observe' op has no entry 'fc3.input' in}}
  %a = qc.observe %x {name = "fc3.input"} : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// A version-2 stats file's per-channel max |x|, mean |x| and x^2 go onto
// the observer when its last dimension has that many channels (and not
// otherwise).
// CHANNELS-LABEL: func.func @channels(
// CHANNELS:         qc.observe %{{.*}} {name = "x.input", qc.channel_max_abs = dense<[2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 0.000000e+00]> : tensor<8xf32>, qc.channel_mean_abs = dense<[1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00]> : tensor<8xf32>, qc.channel_mean_square = dense<[1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00]> : tensor<8xf32>, range = #qc.range<-2.000000e+00, 2.000000e+00, minmax>}
// CHANNELS:         qc.observe %{{.*}} {name = "x.input", range = #qc.range<-2.000000e+00, 2.000000e+00, minmax>} : tensor<3x4xf32>
func.func @channels(%x: tensor<3x8xf32>, %y: tensor<3x4xf32>) -> (tensor<3x8xf32>, tensor<3x4xf32>) {
  // (Not in stats.json: an error for the first RUN line.)
  // expected-error @below {{has no entry 'x.input'}}
  %a = qc.observe %x {name = "x.input"} : tensor<3x8xf32>
  %b = qc.observe %y {name = "x.input"} : tensor<3x4xf32>
  return %a, %b : tensor<3x8xf32>, tensor<3x4xf32>
}

// -----

// A gram side file's E[x x^T] goes onto the observer as a [K, K] resource
// blob (f32 little endian after a 4-byte alignment word: 1, 0.5, 0.5, 2),
// with the mean x^2 beside it, and the row sample as an [S, K] blob
// (1, -1, 0.5, 2, -1, 0); a matrix or sample outside the side file is an
// error.
// GRAM-LABEL: func.func @gram(
// GRAM:         qc.observe %{{.*}} {name = "g.input", qc.channel_max_abs = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>, qc.channel_mean_abs = dense<1.000000e+00> : tensor<2xf32>, qc.channel_mean_square = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>, qc.input_gram = dense_resource<g.input.gram> : tensor<2x2xf32>, qc.input_sample = dense_resource<g.input.sample> : tensor<3x2xf32>, range = #qc.range<-1.000000e+00, 1.000000e+00, minmax>} : tensor<?x2xf32>
// GRAM:         g.input.gram: "0x040000000000803F0000003F0000003F00000040"
// GRAM:         g.input.sample: "0x040000000000803F000080BF0000003F00000040000080BF00000000"
// BADGRAM: error: stats for 'g.input' have a "gram_offset" outside the gram file
// BADSAMPLE: error: stats for 'g.input' have a "sample_offset" outside the gram file
func.func @gram(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // (Not in stats.json: an error for the first RUN line.)
  // expected-error @below {{has no entry 'g.input'}}
  %a = qc.observe %x {name = "g.input"} : tensor<?x2xf32>
  return %a : tensor<?x2xf32>
}
