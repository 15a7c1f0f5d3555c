//===- TensorFiles.h - .npy and TensorProto .pb tensors ---------*- C++ -*-===//
//
// Part of the driver library (QuantcDriver): tensors held by the host, read
// from and written to the files the commands take.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_TENSORFILES_H
#define QUANTC_TOOLS_DRIVER_TENSORFILES_H

#include "runtime/include/quantc_runtime.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quantc {

/// A dense row-major tensor held by the driver.
struct HostTensor {
  std::string name; // from a .pb file; empty for .npy
  quantc_dtype dtype = QUANTC_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<char> data;

  /// The element count; -1 when it overflows int64.
  int64_t numElements() const;
  /// A runtime view of this tensor (the data stays owned here).
  quantc_tensor view();
};

/// Reads a NumPy `.npy` (v1-v3, little-endian, C order) or an ONNX
/// TensorProto `.pb` file, by extension. Errors name the file.
llvm::Expected<HostTensor> readTensorFile(llvm::StringRef path);

/// Writes `tensor` as `.npy` v1.0; bool as `|b1`. The file appears only
/// when complete ("-": standard output).
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

/// Element `i` of a numeric tensor as a double (bool: 0 or 1).
double elementAsDouble(const HostTensor &tensor, int64_t i);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_TENSORFILES_H
