//===- Tensors.cpp - ONNX data types and TensorProto contents -------------===//
//
// Initializers and Constant values become `arith.constant`s: small ones as
// dense elements (so folds and the importer's shape logic can read them),
// larger ones as dense resource blobs that text output does not spell out
// inline. External data is read from the file next to the model.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc::onnx;
using ::onnx::TensorProto;

Type mlir::qc::onnx::convertElementType(MLIRContext *ctx, int32_t dataType) {
  Builder b(ctx);
  switch (dataType) {
  case TensorProto::FLOAT:
    return b.getF32Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::BFLOAT16:
    return b.getBF16Type();
  case TensorProto::INT8:
  case TensorProto::UINT8:
    return b.getIntegerType(8);
  case TensorProto::INT16:
  case TensorProto::UINT16:
    return b.getIntegerType(16);
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return b.getIntegerType(32);
  case TensorProto::INT64:
  case TensorProto::UINT64:
    return b.getIntegerType(64);
  case TensorProto::BOOL:
    return b.getI1Type();
  default:
    return nullptr;
  }
}

bool mlir::qc::onnx::isUnsignedDataType(int32_t dataType) {
  return dataType == TensorProto::UINT8 || dataType == TensorProto::UINT16 ||
         dataType == TensorProto::UINT32 || dataType == TensorProto::UINT64;
}

std::string mlir::qc::onnx::dataTypeName(int32_t dataType) {
  if (TensorProto::DataType_IsValid(dataType))
    return llvm::StringRef(TensorProto::DataType_Name(
                               static_cast<TensorProto::DataType>(dataType)))
        .lower();
  return "data type " + std::to_string(dataType);
}

std::string mlir::qc::onnx::dataTypeName(Type t, bool isUnsigned) {
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  if (t.isF16())
    return "float16";
  if (t.isBF16())
    return "bfloat16";
  if (t.isInteger(1))
    return "bool";
  if (auto it = dyn_cast<IntegerType>(t))
    return (isUnsigned ? "uint" : "int") + std::to_string(it.getWidth());
  return "unknown";
}

/// Bytes per element in the layout dense attributes use (bool: one byte).
static int64_t elementBytes(Type t) {
  return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8);
}

/// Reads the element data of `tensor` as packed little-endian elements of
/// `elementType`.
static LogicalResult readTensorBytes(const TensorProto &tensor,
                                     Type elementType, int64_t count,
                                     const std::string &modelPath,
                                     std::vector<char> &bytes,
                                     std::string &error) {
  int64_t width = elementBytes(elementType);
  int64_t need = 0;
  if (__builtin_mul_overflow(count, width, &need))
    return error = "tensor '" + tensor.name() +
                   "' has more bytes than 64 bits count",
           failure();
  // The sizes are the file's claim: before allocating for them, the data
  // must be there. Inline data takes at least a byte per element (and
  // elements are at most 8 bytes), so a tensor's encoding bounds it.
  if (tensor.data_location() != TensorProto::EXTERNAL &&
      need / 8 > static_cast<int64_t>(tensor.ByteSizeLong()))
    return error = "tensor '" + tensor.name() + "' claims " +
                   std::to_string(count) + " elements but holds " +
                   std::to_string(tensor.ByteSizeLong()) + " bytes",
           failure();
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::atoll(entry.value().c_str());
      else if (entry.key() == "length")
        length = std::atoll(entry.value().c_str());
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        StringRef(location).contains(".."))
      return error = "external data of '" + tensor.name() +
                     "' has an invalid location '" + location + "'",
             failure();
    SmallString<256> path(llvm::sys::path::parent_path(modelPath));
    llvm::sys::path::append(path, location);
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return error = "cannot read external data file '" + location + "' of '" +
                     tensor.name() + "'",
             failure();
    int64_t size = (*buffer)->getBufferSize();
    if (length >= 0 && length != need)
      return error = "external data of '" + tensor.name() + "' has length " +
                     std::to_string(length) + ", expected " +
                     std::to_string(need),
             failure();
    if (offset < 0 || offset > size || need > size - offset)
      return error = "external data of '" + tensor.name() +
                     "' runs past the end of '" + location + "'",
             failure();
    bytes.assign(need, 0);
    std::memcpy(bytes.data(), (*buffer)->getBufferStart() + offset, need);
    return success();
  }
  bytes.assign(need, 0);
  return success(readInlineTensorData(tensor, width, count, bytes, error));
}

FailureOr<TensorValue> GraphImporter::importTensor(const TensorProto &tensor,
                                                   OpBuilder &b, Location loc,
                                                   StringRef nameHint) {
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType) {
    error = "tensor '" + nameHint.str() + "' has unsupported type " +
            dataTypeName(tensor.data_type());
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error = "tensor '" + nameHint.str() + "' has a negative dimension";
      return failure();
    }
    shape.push_back(d);
    if (__builtin_mul_overflow(count, d, &count)) {
      error = "tensor '" + nameHint.str() +
              "' has more elements than 64 bits count";
      return failure();
    }
  }
  auto type = RankedTensorType::get(shape, elementType);
  std::vector<char> bytes;
  if (failed(
          readTensorBytes(tensor, elementType, count, modelPath, bytes, error)))
    return failure();

  TensorValue result;
  result.isUnsigned = isUnsignedDataType(tensor.data_type());
  ElementsAttr attr;
  // Small tensors stay inline so that folds and the shape logic see them,
  // and so do the integer vectors the shape logic reads below (up to 64
  // int64 values: Pad amounts of rank 5, Split sizes).
  constexpr int64_t kInlineLimitBytes = 64;
  const bool shapeVector = isa<IntegerType>(elementType) &&
                           !elementType.isInteger(1) && shape.size() <= 1 &&
                           count <= 64;
  if (elementType.isInteger(1)) {
    SmallVector<bool> flags;
    for (char c : bytes)
      flags.push_back(c != 0);
    attr = DenseElementsAttr::get(type, flags);
  } else if (shapeVector ||
             static_cast<int64_t>(bytes.size()) <= kInlineLimitBytes) {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    // Resource keys must be identifiers: the blob manager uniquifies them.
    std::string key;
    for (char c : nameHint)
      key += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
    if (key.empty() || llvm::isDigit(key[0]))
      key = "w_" + key;
    attr = DenseResourceElementsAttr::get(
        type, key,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            bytes, static_cast<size_t>(elementBytes(elementType))));
  }
  result.value = arith::ConstantOp::create(b, loc, attr).getResult();

  // Small integer vectors feed shape computations.
  if (shapeVector) {
    auto dense = cast<DenseElementsAttr>(attr);
    SmallVector<OpFoldResult> known;
    for (APInt v : dense.getValues<APInt>())
      known.push_back(b.getIndexAttr(result.isUnsigned ? v.getZExtValue()
                                                       : v.getSExtValue()));
    result.known = std::move(known);
  }
  return result;
}
