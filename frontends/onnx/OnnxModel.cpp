//===- OnnxModel.cpp - load an ONNX ModelProto ----------------------------===//
//
// Built with -fexceptions (see OnnxModel.h).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxModel.h"

#include "llvm/Support/FileSystem.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace mlir::qc::onnx;
using ::onnx::TensorProto;

namespace {
/// Reads a whole file; empty optional-like flag through `ok`.
std::string readFile(const std::string &path, bool &ok, std::string &error) {
  if (llvm::sys::fs::is_directory(path)) {
    ok = false;
    error = "is a directory, not an ONNX model file";
    return {};
  }
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

bool mlir::qc::onnx::readInlineTensorData(const TensorProto &tensor,
                                          int64_t width, int64_t count,
                                          std::vector<char> &bytes,
                                          std::string &error) {
  // The count is the file's claim: compared with the data it holds before
  // anything is allocated for it.
  if (tensor.has_raw_data()) {
    if (static_cast<int64_t>(tensor.raw_data().size()) != count * width)
      return error = "tensor '" + tensor.name() + "' has " +
                     std::to_string(tensor.raw_data().size()) +
                     " bytes of data, expected " +
                     std::to_string(count * width),
             false;
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    return true;
  }
  auto copy = [&](int64_t have, auto value) {
    if (have != count) {
      error = "tensor '" + tensor.name() + "' has " + std::to_string(have) +
              " values, expected " + std::to_string(count);
      return false;
    }
    bytes.assign(count * width, 0);
    for (int64_t i = 0; i < count; ++i) {
      // Little-endian host: copy the low `width` bytes.
      auto v = value(static_cast<int>(i));
      std::memcpy(bytes.data() + i * width, &v,
                  std::min<size_t>(width, sizeof(v)));
    }
    return true;
  };
  switch (tensor.data_type()) {
  case TensorProto::FLOAT:
    return copy(tensor.float_data_size(),
                [&](int i) { return tensor.float_data(i); });
  case TensorProto::DOUBLE:
    return copy(tensor.double_data_size(),
                [&](int i) { return tensor.double_data(i); });
  case TensorProto::INT64:
    return copy(tensor.int64_data_size(),
                [&](int i) { return tensor.int64_data(i); });
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    return copy(tensor.uint64_data_size(),
                [&](int i) { return tensor.uint64_data(i); });
  default:
    // int32_data holds INT32, INT16, INT8, UINT16, UINT8, BOOL, and the bits
    // of FLOAT16/BFLOAT16.
    return copy(tensor.int32_data_size(),
                [&](int i) { return tensor.int32_data(i); });
  }
}

std::string mlir::qc::onnx::checkNodeAttributes(const ::onnx::NodeProto &node,
                                                int64_t opset) {
  using ::onnx::AttributeProto;
  const ::onnx::OpSchema *schema = ::onnx::OpSchemaRegistry::Schema(
      node.op_type(), static_cast<int>(std::min<int64_t>(opset, 1 << 20)),
      ::onnx::ONNX_DOMAIN);
  if (!schema)
    return "";
  auto typeName = [](AttributeProto::AttributeType type) {
    std::string name = AttributeProto::AttributeType_Name(type);
    for (char &c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
  };
  const auto &declared = schema->attributes();
  for (const AttributeProto &a : node.attribute()) {
    auto it = declared.find(a.name());
    // Models before IR version 3 may leave the type out.
    if (it == declared.end() || a.type() == AttributeProto::UNDEFINED)
      continue;
    if (a.type() != it->second.type)
      return "attribute '" + a.name() + "' must be of type " +
             typeName(it->second.type) + ", not " + typeName(a.type());
  }
  for (const auto &[name, attribute] : declared) {
    if (!attribute.required)
      continue;
    bool present = false;
    for (const AttributeProto &a : node.attribute())
      present |= a.name() == name;
    if (!present)
      return "missing required attribute '" + name + "'";
  }
  return "";
}
