//===- QcBase.td - qc dialect definition --------------------*- tablegen -*-===//
//
// The qc dialect: the graph-level ops that quantization reasons about and the
// quantization ops themselves. Everything else an ONNX model needs is expressed
// with upstream dialects (linalg, tensor, arith, math, scf).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECTS_QC_IR_QCBASE_TD
#define QUANTC_DIALECTS_QC_IR_QCBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Qc_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::mlir::qc";
  let summary = "Quantization-aware graph and quantization ops of quantc";
  let description = [{
    The `qc` dialect holds what quantc's passes reason about:

    * graph ops whose inputs and outputs are quantized or observed: `qc.matmul`,
      `qc.gemm`, `qc.conv`, `qc.layer_norm`, `qc.rms_norm`;
    * calibration: `qc.observe` marks a tensor whose range calibration records,
      and `#qc.range` holds the recorded result;
    * quantized compute: `qc.quantized_matmul` and `qc.quantized_conv` take
      weights whose element types are upstream `!quant.uniform` types
      (per-tensor, per-axis and sub-channel forms), `qc.dynamic_quantize`
      quantizes activations per token at run time, `qc.codebook_decode` is the
      non-uniform (lookup-table) weight form, and the low-rank correction of
      LoRC is an operand pair of `qc.quantized_matmul`.

    Static quantize and dequantize of a tensor are upstream `quant.qcast` and
    `quant.dcast`: qc does not copy them.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Qc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qc_Dialect, mnemonic, traits>;

class Qc_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qc_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // QUANTC_DIALECTS_QC_IR_QCBASE_TD
