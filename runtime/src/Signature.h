//===- Signature.h - a compiled model's signature text ---------*- C++ -*-===//
//
// Every artifact embeds `quantc_signature`, the text
// backends/common/ModelSignature.cpp writes: its inputs and outputs (names
// percent-encoded, element type, shape) and the value ranges of index
// inputs. The runtime parses it here; the text comes from a file the user
// names, so the parser takes any bytes (fuzzed by
// fuzz/RuntimeInputsFuzzer.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SRC_SIGNATURE_H
#define QUANTC_RUNTIME_SRC_SIGNATURE_H

#include "runtime/include/quantc_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quantc::runtime {

struct TensorInfo {
  std::string name;
  quantc_dtype dtype = QUANTC_DTYPE_INVALID;
  std::vector<int64_t> shape;
  // An integer input indexing a table: the values it may hold and the ONNX
  // node that indexes (the signature's `range` entry).
  bool hasRange = false;
  int64_t lo = 0, hi = 0;
  std::string rangeNode;
};

/// Parses a signature; returns an error message or "".
std::string parseSignature(const char *text, std::vector<TensorInfo> &inputs,
                           std::vector<TensorInfo> &outputs);

} // namespace quantc::runtime

#endif // QUANTC_RUNTIME_SRC_SIGNATURE_H
