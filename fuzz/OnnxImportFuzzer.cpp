//===- OnnxImportFuzzer.cpp - libFuzzer target for the ONNX importer ------===//
//
// Each input is a file's bytes given to `quantc import`: parsed as a
// ModelProto, imported into the qc dialect, and the result verified. The
// importer must answer every input with a module or one error line; a
// crash, a sanitizer report or an invalid module is a finding.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

/// The importer reads a path (external data is resolved beside it): each
/// input is written to one private file in the temp directory.
const std::string &modelPath() {
  static const std::string path = [] {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile("quantc-fuzz", "onnx", p))
      std::abort();
    return std::string(p);
  }();
  return path;
}

/// One context serves many inputs (creating one costs more than most
/// imports); it is renewed now and then so that what imports leave in it
/// (types, attributes, resource blobs) does not grow without bound.
std::unique_ptr<mlir::MLIRContext> context;
int uses = 0;

mlir::MLIRContext &freshEnoughContext() {
  if (!context || ++uses > 2000) {
    mlir::DialectRegistry registry;
    mlir::qc::onnx::registerImportedDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(
        registry, mlir::MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();
    uses = 0;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(modelPath(), ec);
    if (ec)
      std::abort();
    os.write(reinterpret_cast<const char *>(data), size);
  }
  mlir::MLIRContext &ctx = freshEnoughContext();
  // Diagnostics from the verifier go to a handler that drops them.
  mlir::ScopedDiagnosticHandler quiet(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::qc::onnx::importOnnxFile(&ctx, modelPath(), error);
  if (module && mlir::failed(mlir::verify(*module))) {
    llvm::errs() << "the importer produced a module that does not verify\n";
    std::abort();
  }
  if (!module && error.empty()) {
    llvm::errs() << "the importer failed without saying why\n";
    std::abort();
  }
  return 0;
}
