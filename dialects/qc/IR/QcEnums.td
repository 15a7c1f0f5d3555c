//===- QcEnums.td - qc dialect enums ------------------------*- tablegen -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCENUMS_TD
#define QUANTC_DIALECTS_QC_IR_QCENUMS_TD

include "dialects/qc/IR/QcBase.td"
include "mlir/IR/EnumAttr.td"

def Qc_ObserverKind : I32EnumAttr<"ObserverKind",
    "how calibration turns observed values into a range", [
      I32EnumAttrCase<"MinMax", 0, "minmax">,
      I32EnumAttrCase<"Percentile", 1, "percentile">,
      I32EnumAttrCase<"Mse", 2, "mse">,
      I32EnumAttrCase<"Kl", 3, "kl">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def Qc_ObserverKindAttr : EnumAttr<Qc_Dialect, Qc_ObserverKind, "observer"> {
  let assemblyFormat = "`<` $value `>`";
}

def Qc_Granularity : I32EnumAttr<"Granularity",
    "which elements share one run-time quantization scale", [
      I32EnumAttrCase<"PerTensor", 0, "per_tensor">,
      I32EnumAttrCase<"PerToken", 1, "per_token">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def Qc_GranularityAttr : EnumAttr<Qc_Dialect, Qc_Granularity, "granularity"> {
  let assemblyFormat = "`<` $value `>`";
}

def Qc_ActivationMode : I32EnumAttr<"ActivationMode",
    "how a quantized matmul's float activations become integers", [
      I32EnumAttrCase<"Static", 0, "static">,
      I32EnumAttrCase<"Dynamic", 1, "dynamic">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}

def Qc_WeightClip : I32EnumAttr<"WeightClip",
    "how a weight group's quantization range is chosen", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Mse", 1, "mse">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}

def Qc_WeightMethod : I32EnumAttr<"WeightMethod",
    "how weight codes are chosen once the scales are known", [
      I32EnumAttrCase<"Rtn", 0, "rtn">,
      I32EnumAttrCase<"Gptq", 1, "gptq">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}

def Qc_WeightCodebook : I32EnumAttr<"WeightCodebook",
    "the grid weight codes index", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Nf4", 1, "nf4">,
      I32EnumAttrCase<"Kmeans", 2, "kmeans">
    ]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}

#endif // QUANTC_DIALECTS_QC_IR_QCENUMS_TD
