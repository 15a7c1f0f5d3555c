//===- OnnxModel.h - load an ONNX ModelProto --------------------*- C++ -*-===//
//
// Reading the protobuf is kept apart from the MLIR-facing importer: libonnx
// and protobuf report problems with C++ exceptions, while LLVM's build flags
// compile the importer with -fno-exceptions. This unit is built with
// exceptions, catches them, and hands back a message.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_FRONTENDS_ONNX_ONNXMODEL_H
#define QUANTC_FRONTENDS_ONNX_ONNXMODEL_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace mlir::qc::onnx {

/// Parses the ModelProto in `path`. On failure returns null and sets `error`
/// to one line saying what is wrong with the file.
std::unique_ptr<::onnx::ModelProto> loadModel(const std::string &path,
                                              std::string &error);

/// Parses a serialized TensorProto (a `.pb` file of the ONNX test suite).
std::unique_ptr<::onnx::TensorProto> loadTensor(const std::string &path,
                                                std::string &error);

/// The elements of a tensor whose data is inline (`raw_data` or the typed
/// fields), as packed little-endian values of `width` bytes (bool: 1).
/// Returns false with `error` set when the data does not hold `count`
/// elements.
bool readInlineTensorData(const ::onnx::TensorProto &tensor, int64_t width,
                          int64_t count, std::vector<char> &bytes,
                          std::string &error);

/// Checks a default-domain node's attributes against ONNX's schema of its
/// op at `opset` (libonnx's registry; the newest it knows for later
/// opsets): each attribute the schema declares has the declared type, and
/// every required one is present. Returns what is wrong, or "" (also for
/// ops the registry does not know).
std::string checkNodeAttributes(const ::onnx::NodeProto &node, int64_t opset);

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_ONNXMODEL_H
