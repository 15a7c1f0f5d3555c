//===- QcAttrs.td - qc dialect attributes -------------------*- tablegen -*-===//

#ifndef QUANTC_DIALECTS_QC_IR_QCATTRS_TD
#define QUANTC_DIALECTS_QC_IR_QCATTRS_TD

include "dialects/qc/IR/QcEnums.td"

// An f64 printed and parsed as a plain decimal number.
class Qc_F64Parameter<string desc> : APFloatParameter<desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
      double value;
      if (::mlir::failed($_parser.parseFloat(value)))
        return ::mlir::failure();
      return ::llvm::APFloat(value);
    }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

def Qc_RangeAttr : Qc_Attr<"Range", "range"> {
  let summary = "A calibrated value range of a tensor";
  let description = [{
    The range `[min, max]` that calibration chose for a tensor, and the
    observer that chose it. Quantization derives scales and zero points from
    it; `min <= max` and both are finite.

    ```mlir
    %y = qc.observe %x {name = "fc1.input", range = #qc.range<-1.5, 2.25, minmax>} : tensor<4x8xf32>
    ```
  }];
  let parameters = (ins Qc_F64Parameter<"lower bound">:$min,
                        Qc_F64Parameter<"upper bound">:$max,
                        "::mlir::qc::ObserverKind":$observer);
  let assemblyFormat = "`<` $min `,` $max `,` $observer `>`";
  let genVerifyDecl = 1;
}

#endif // QUANTC_DIALECTS_QC_IR_QCATTRS_TD
