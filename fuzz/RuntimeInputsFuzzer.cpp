//===- RuntimeInputsFuzzer.cpp - libFuzzer target for what a run reads ----===//
//
// What the runtime and `quantc run`/`eval` read from files the user names,
// other than the model's code: the signature text an artifact embeds
// (runtime/src/Signature.h) and tensor files (.npy, ONNX .pb). The first
// byte picks the reader, the rest is its input. Every input must give a
// result or an error message; a crash or sanitizer report is a finding.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Signature.h"
#include "tools/driver/TensorFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

/// A private file in the temp directory per tensor suffix.
const std::string &tensorPath(bool npy) {
  auto make = [](const char *suffix) {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile("quantc-fuzz", suffix, p))
      std::abort();
    return std::string(p);
  };
  static const std::string npyPath = make("npy"), pbPath = make("pb");
  return npy ? npyPath : pbPath;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int which = data[0] % 3;
  std::string rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (which == 0) {
    // The artifact embeds a NUL-terminated string.
    std::vector<quantc::runtime::TensorInfo> inputs, outputs;
    std::string error =
        quantc::runtime::parseSignature(rest.c_str(), inputs, outputs);
    if (error.empty() && outputs.empty())
      std::abort(); // accepted without outputs
    return 0;
  }
  const std::string &path = tensorPath(which == 1);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      std::abort();
    os << rest;
  }
  llvm::Expected<quantc::HostTensor> tensor = quantc::readTensorFile(path);
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return 0;
  }
  // A tensor read must hold exactly its shape's elements.
  if (tensor->data.size() != static_cast<size_t>(tensor->numElements()) *
                                 quantc_dtype_size(tensor->dtype))
    std::abort();
  return 0;
}
