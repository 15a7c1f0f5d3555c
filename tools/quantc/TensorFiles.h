//===- TensorFiles.h - .npy and TensorProto .pb tensors ---------*- C++ -*-===//

#ifndef QUANTC_TOOLS_QUANTC_TENSORFILES_H
#define QUANTC_TOOLS_QUANTC_TENSORFILES_H

#include "runtime/include/quantc_runtime.h"

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
/// TensorProto `.pb` file, by extension. Returns false with `error` set.
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Writes `tensor` as `.npy` v1.0; bool as `|b1`. Returns false with `error`.
bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error);

/// Element `i` of a numeric tensor as a double (bool: 0 or 1).
double elementAsDouble(const HostTensor &tensor, int64_t i);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_TENSORFILES_H
