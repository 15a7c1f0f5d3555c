//===- OnnxModel.cpp - load an ONNX ModelProto ----------------------------===//
//
// Built with -fexceptions (see OnnxModel.h).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxModel.h"

#include "llvm/Support/FileSystem.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

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
  bytes.assign(count * width, 0);
  if (tensor.has_raw_data()) {
    if (static_cast<int64_t>(tensor.raw_data().size()) != count * width)
      return error = "tensor '" + tensor.name() + "' has " +
                     std::to_string(tensor.raw_data().size()) +
                     " bytes of data, expected " +
                     std::to_string(count * width),
             false;
    std::memcpy(bytes.data(), tensor.raw_data().data(), count * width);
    return true;
  }
  auto mismatch = [&](int64_t have) {
    error = "tensor '" + tensor.name() + "' has " + std::to_string(have) +
            " values, expected " + std::to_string(count);
    return false;
  };
  auto store = [&](int64_t i, auto value) {
    // Little-endian host: copy the low `width` bytes.
    std::memcpy(bytes.data() + i * width, &value, width);
  };
  switch (tensor.data_type()) {
  case TensorProto::FLOAT:
    if (tensor.float_data_size() != count)
      return mismatch(tensor.float_data_size());
    for (int64_t i = 0; i < count; ++i)
      store(i, tensor.float_data(i));
    return true;
  case TensorProto::DOUBLE:
    if (tensor.double_data_size() != count)
      return mismatch(tensor.double_data_size());
    for (int64_t i = 0; i < count; ++i)
      store(i, tensor.double_data(i));
    return true;
  case TensorProto::INT64:
    if (tensor.int64_data_size() != count)
      return mismatch(tensor.int64_data_size());
    for (int64_t i = 0; i < count; ++i)
      store(i, tensor.int64_data(i));
    return true;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    if (tensor.uint64_data_size() != count)
      return mismatch(tensor.uint64_data_size());
    for (int64_t i = 0; i < count; ++i)
      store(i, tensor.uint64_data(i));
    return true;
  default:
    // int32_data holds INT32, INT16, INT8, UINT16, UINT8, BOOL, and the bits
    // of FLOAT16/BFLOAT16.
    if (tensor.int32_data_size() != count)
      return mismatch(tensor.int32_data_size());
    for (int64_t i = 0; i < count; ++i)
      store(i, tensor.int32_data(i));
    return true;
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
