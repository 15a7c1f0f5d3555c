//===- OnnxModel.cpp - load an ONNX ModelProto ----------------------------===//
//
// Built with -fexceptions (see OnnxModel.h).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxModel.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <sstream>

using namespace mlir::qc::onnx;

namespace {
/// Reads a whole file; empty optional-like flag through `ok`.
std::string readFile(const std::string &path, bool &ok, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ok = false;
    error = "cannot open file";
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  ok = static_cast<bool>(in) || in.eof();
  if (!ok)
    error = "cannot read file";
  return ss.str();
}
} // namespace

std::unique_ptr<::onnx::ModelProto>
mlir::qc::onnx::loadModel(const std::string &path, std::string &error) {
  try {
    bool ok = true;
    std::string bytes = readFile(path, ok, error);
    if (!ok)
      return nullptr;
    auto model = std::make_unique<::onnx::ModelProto>();
    if (bytes.empty() ||
        !model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      error = "not a valid ONNX model (protobuf parse failed)";
      return nullptr;
    }
    if (!model->has_graph()) {
      error = "the model has no graph";
      return nullptr;
    }
    return model;
  } catch (const std::exception &e) {
    error = std::string("cannot load model: ") + e.what();
    return nullptr;
  }
}

std::unique_ptr<::onnx::TensorProto>
mlir::qc::onnx::loadTensor(const std::string &path, std::string &error) {
  try {
    bool ok = true;
    std::string bytes = readFile(path, ok, error);
    if (!ok)
      return nullptr;
    auto tensor = std::make_unique<::onnx::TensorProto>();
    if (!tensor->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      error = "not a valid ONNX TensorProto";
      return nullptr;
    }
    return tensor;
  } catch (const std::exception &e) {
    error = std::string("cannot load tensor: ") + e.what();
    return nullptr;
  }
}
