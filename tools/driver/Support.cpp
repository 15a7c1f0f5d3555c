//===- Support.cpp - diagnostics and temporary files for the driver -------===//

#include "tools/driver/Support.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;

/// "node 'NAME'" for a location carrying an ONNX node name, else the
/// location as MLIR prints it.
static std::string describe(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return "node '" + name.getName().str() + "'";
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (isa<NameLoc>(l))
        return describe(l);
  if (isa<UnknownLoc>(loc))
    return "";
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return s;
}

quantc::FirstError::FirstError(MLIRContext *ctx)
    : ScopedDiagnosticHandler(ctx, [this](Diagnostic &d) {
        auto line = [&] {
          std::string where = describe(d.getLocation());
          std::string out = (where.empty() ? "" : where + ": ") + d.str();
          for (char &c : out)
            if (c == '\n')
              c = ' ';
          return out;
        };
        if (d.getSeverity() == DiagnosticSeverity::Error && text.empty())
          text = line();
        if (d.getSeverity() == DiagnosticSeverity::Remark)
          remarks.push_back(line());
        if (d.getSeverity() == DiagnosticSeverity::Warning)
          warnings.push_back(line());
        return success();
      }) {}

llvm::Error quantc::FirstError::takeError(StringRef fallback) const {
  return makeError(text.empty() ? fallback : StringRef(text));
}

llvm::Error quantc::TemporaryFile::create(StringRef prefix, StringRef suffix) {
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile(prefix, suffix, path))
    return makeError("cannot create a temporary file: " + ec.message());
  return llvm::Error::success();
}

quantc::TemporaryFile::~TemporaryFile() {
  if (path.empty())
    return;
  llvm::sys::fs::remove(path);
  for (const std::string &suffix : companionSuffixes)
    llvm::sys::fs::remove(path + suffix);
}

llvm::Error quantc::prefixError(const llvm::Twine &prefix, llvm::Error error) {
  return makeError(prefix + ": " + llvm::toString(std::move(error)));
}

std::vector<std::string>
quantc::filesOfEntries(llvm::ArrayRef<std::string> entries) {
  std::vector<std::string> files;
  for (const std::string &entry : entries) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(entry).split(parts, ',');
    for (llvm::StringRef part : parts) {
      auto [name, file] = part.split('=');
      files.push_back((file.empty() ? name : file).str());
    }
  }
  return files;
}

llvm::Error quantc::checkNotAnInput(llvm::StringRef output,
                                    llvm::ArrayRef<std::string> inputs) {
  for (const std::string &input : inputs) {
    bool same = false;
    // A missing output (or input) is not the same file: only an error of
    // `equivalent` that both exist could hide, and then the open fails.
    if (!llvm::sys::fs::equivalent(output, input, same) && same)
      return makeError("the output " + output + " is the input " + input +
                       "; give another path");
  }
  return llvm::Error::success();
}
