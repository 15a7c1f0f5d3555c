//===- TensorFiles.cpp - .npy and TensorProto .pb tensors -----------------===//
//
// The .npy format is small enough to read directly (a magic string, a
// Python-dict header, raw data): NumPy's C API is not available to a C++
// tool and no Debian library reads it.
//
//===----------------------------------------------------------------------===//

#include "tools/driver/TensorFiles.h"

#include "tools/driver/Support.h"

#include "frontends/onnx/OnnxModel.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>

using namespace quantc;
using llvm::StringRef;

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n))
      return -1;
  return n;
}

quantc_tensor HostTensor::view() {
  quantc_tensor t{};
  t.dtype = dtype;
  t.rank = shape.size();
  for (size_t i = 0; i < shape.size() && i < QUANTC_MAX_RANK; ++i)
    t.shape[i] = shape[i];
  t.data = data.empty() ? nullptr : data.data();
  t.capacity_bytes = data.size();
  return t;
}

namespace {

struct NpyType {
  const char *descr;
  quantc_dtype dtype;
};

// '|' marks byte-sized types, for which NumPy writes no byte order.
const NpyType kNpyTypes[] = {
    {"f4", QUANTC_DTYPE_FLOAT},   {"f8", QUANTC_DTYPE_DOUBLE},
    {"f2", QUANTC_DTYPE_FLOAT16}, {"i1", QUANTC_DTYPE_INT8},
    {"i2", QUANTC_DTYPE_INT16},   {"i4", QUANTC_DTYPE_INT32},
    {"i8", QUANTC_DTYPE_INT64},   {"u1", QUANTC_DTYPE_UINT8},
    {"u2", QUANTC_DTYPE_UINT16},  {"u4", QUANTC_DTYPE_UINT32},
    {"u8", QUANTC_DTYPE_UINT64},  {"b1", QUANTC_DTYPE_BOOL},
};

/// The value of `'key':` in the header dict, up to the next top-level comma.
StringRef headerField(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return "";
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return "";
  rest = rest.ltrim();
  if (rest.starts_with("("))
    return rest.take_until([](char c) { return c == ')'; }).drop_front();
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

bool readNpy(const std::string &path, HostTensor &tensor, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error = "cannot read " + path + ": " + buffer.getError().message(),
           false;
  StringRef bytes = (*buffer)->getBuffer();
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10)
    return error = path + " is not a .npy file", false;
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8;
    start = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | static_cast<unsigned char>(bytes[8 + i]);
    start = 12;
  } else {
    return error = path + ": unsupported .npy version " + std::to_string(major),
           false;
  }
  if (start + headerLen > bytes.size())
    return error = path + ": truncated .npy header", false;
  StringRef header = bytes.substr(start, headerLen);
  StringRef descr = headerField(header, "descr").trim("'\"");
  if (headerField(header, "fortran_order") != "False")
    return error = path + ": only C-order .npy arrays are supported", false;
  if (descr.size() != 3 || descr[0] == '>')
    return error = path + ": unsupported dtype '" + descr.str() +
                   "' (little-endian numeric and bool only)",
           false;
  tensor.dtype = QUANTC_DTYPE_INVALID;
  for (const NpyType &t : kNpyTypes)
    if (descr.drop_front() == t.descr)
      tensor.dtype = t.dtype;
  if (tensor.dtype == QUANTC_DTYPE_INVALID)
    return error = path + ": unsupported dtype '" + descr.str() + "'", false;
  tensor.shape.clear();
  llvm::SmallVector<StringRef> dims;
  headerField(header, "shape").split(dims, ',', -1, /*KeepEmpty=*/false);
  for (StringRef d : dims) {
    int64_t v;
    if (d.trim().getAsInteger(10, v) || v < 0)
      return error = path + ": bad shape in the .npy header", false;
    tensor.shape.push_back(v);
  }
  int64_t count = tensor.numElements();
  size_t size;
  if (count < 0 ||
      __builtin_mul_overflow(static_cast<size_t>(count),
                             quantc_dtype_size(tensor.dtype), &size))
    return error = path + ": shape too large", false;
  StringRef data = bytes.drop_front(start + headerLen);
  if (data.size() < size)
    return error = path + ": holds " + std::to_string(data.size()) +
                   " data bytes, its shape needs " + std::to_string(size),
           false;
  tensor.data.assign(data.begin(), data.begin() + size);
  return true;
}

bool readPb(const std::string &path, HostTensor &tensor, std::string &error) {
  auto proto = mlir::qc::onnx::loadTensor(path, error);
  if (!proto)
    return error = path + ": " + error, false;
  tensor.name = proto->name();
  // Any int32 in the file: only the enum's values may become one (found by
  // fuzz/RuntimeInputsFuzzer.cpp under UBSan).
  int32_t type = proto->data_type();
  tensor.dtype = type >= QUANTC_DTYPE_INVALID && type <= QUANTC_DTYPE_BFLOAT16
                     ? static_cast<quantc_dtype>(type)
                     : QUANTC_DTYPE_INVALID;
  size_t width = quantc_dtype_size(tensor.dtype);
  if (!width)
    return error = path + ": unsupported tensor type " +
                   std::to_string(proto->data_type()),
           false;
  tensor.shape.assign(proto->dims().begin(), proto->dims().end());
  for (int64_t d : tensor.shape)
    if (d < 0)
      return error = path + ": negative dimension", false;
  if (tensor.numElements() < 0 ||
      tensor.numElements() > (int64_t(1) << 40) / int64_t(width))
    return error = path + ": shape too large", false;
  if (!mlir::qc::onnx::readInlineTensorData(*proto, width, tensor.numElements(),
                                            tensor.data, error))
    return error = path + ": " + error, false;
  return true;
}

} // namespace

llvm::Expected<HostTensor> quantc::readTensorFile(StringRef path) {
  HostTensor tensor;
  std::string error;
  bool ok = path.ends_with(".pb") ? readPb(path.str(), tensor, error)
                                  : readNpy(path.str(), tensor, error);
  if (!ok)
    return makeError(error);
  return tensor;
}

llvm::Error quantc::writeNpy(StringRef path, const HostTensor &tensor) {
  const char *descr = nullptr;
  for (const NpyType &t : kNpyTypes)
    if (t.dtype == tensor.dtype)
      descr = t.descr;
  if (!descr)
    return makeError(llvm::Twine("cannot write dtype ") +
                     quantc_dtype_name(tensor.dtype) + " to .npy");
  bool byteSized = quantc_dtype_size(tensor.dtype) == 1;
  std::string header = std::string("{'descr': '") + (byteSized ? "|" : "<") +
                       descr + "', 'fortran_order': False, 'shape': (";
  for (int64_t d : tensor.shape)
    header += std::to_string(d) + (tensor.shape.size() == 1 ? "," : ", ");
  if (tensor.shape.size() > 1)
    header.resize(header.size() - 2);
  header += "), }";
  // Pad with spaces so the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  // A temporary renamed over `path` when complete: no partial file.
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << "\x93NUMPY" << '\x01' << '\x00';
    os << static_cast<char>(header.size() & 0xff)
       << static_cast<char>(header.size() >> 8);
    os << header;
    os.write(tensor.data.data(), tensor.data.size());
    return llvm::Error::success();
  });
}

double quantc::elementAsDouble(const HostTensor &t, int64_t i) {
  const char *p = t.data.data() + i * quantc_dtype_size(t.dtype);
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<double>(v);
  };
  switch (t.dtype) {
  case QUANTC_DTYPE_FLOAT:
    return get(float());
  case QUANTC_DTYPE_DOUBLE:
    return get(double());
  case QUANTC_DTYPE_INT8:
    return get(int8_t());
  case QUANTC_DTYPE_UINT8:
  case QUANTC_DTYPE_BOOL:
    return get(uint8_t());
  case QUANTC_DTYPE_INT16:
    return get(int16_t());
  case QUANTC_DTYPE_UINT16:
    return get(uint16_t());
  case QUANTC_DTYPE_INT32:
    return get(int32_t());
  case QUANTC_DTYPE_UINT32:
    return get(uint32_t());
  case QUANTC_DTYPE_INT64:
    return get(int64_t());
  case QUANTC_DTYPE_UINT64:
    return get(uint64_t());
  case QUANTC_DTYPE_FLOAT16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v = exp == 0    ? std::ldexp(mant, -24)
               : exp == 31 ? (mant ? NAN : INFINITY)
                           : std::ldexp(mant | 0x400, exp - 25);
    return (h & 0x8000) ? -v : v;
  }
  case QUANTC_DTYPE_BFLOAT16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case QUANTC_DTYPE_INVALID:
    break;
  }
  return 0;
}
