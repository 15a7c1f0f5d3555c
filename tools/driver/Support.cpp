//===- Support.cpp - diagnostics and temporary files for the driver -------===//

#include "tools/driver/Support.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"

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
        if (d.getSeverity() == DiagnosticSeverity::Error && text.empty()) {
          text = line();
          // MLIR's crash recovery reports a crashed pass with this error
          // and no error before it (a pass failing without an error also
          // lands here: an internal error too).
          if (!StringRef(d.str()).starts_with(
                  "Failures have been detected while processing an MLIR "
                  "pass pipeline"))
            return success();
          for (Diagnostic &note : d.getNotes()) {
            std::string s = note.str();
            size_t at = s.find("executing [`");
            if (at == std::string::npos)
              continue;
            StringRef rest = StringRef(s).drop_front(at + 12);
            crashedPass = rest.take_until([](char c) { return c == '`'; });
          }
        }
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

llvm::Expected<quantc::PendingOutput>
quantc::PendingOutput::create(StringRef path) {
  if (path == "-") // standard output: nothing to rename
    return PendingOutput(path.str(), std::nullopt);
  // Caught here, before any work: the rename would fail only at the end.
  if (llvm::sys::fs::is_directory(path))
    return makeError("cannot write " + path + ": it is a directory");
  llvm::Expected<llvm::sys::fs::TempFile> file =
      llvm::sys::fs::TempFile::create(path + "-%%%%%%.tmp");
  if (!file)
    return makeError("cannot write " + path + ": " +
                     llvm::toString(file.takeError()));
  return PendingOutput(path.str(), std::move(*file));
}

quantc::PendingOutput::PendingOutput(
    std::string path, std::optional<llvm::sys::fs::TempFile> file)
    : path(std::move(path)), file(std::move(file)) {
  if (this->file)
    stream = std::make_unique<llvm::raw_fd_ostream>(this->file->FD,
                                                    /*shouldClose=*/false);
}

quantc::PendingOutput::PendingOutput(PendingOutput &&other)
    : path(std::move(other.path)), file(std::move(other.file)),
      stream(std::move(other.stream)) {
  other.file.reset();
}

quantc::PendingOutput::~PendingOutput() {
  // A pending write error would make raw_fd_ostream's destructor abort;
  // the file is discarded anyway.
  if (stream)
    stream->clear_error();
  stream.reset();
  if (file)
    llvm::consumeError(file->discard());
}

llvm::raw_ostream &quantc::PendingOutput::os() {
  return stream ? *stream : llvm::outs();
}

StringRef quantc::PendingOutput::stagePath() const {
  return file ? StringRef(file->TmpName) : StringRef();
}

llvm::Error quantc::commitAll(llvm::MutableArrayRef<PendingOutput> outputs) {
  namespace fs = llvm::sys::fs;
  std::vector<std::pair<std::string, std::string>> aside; // path, backup
  // Moves every original back; names any that stays aside.
  auto restore = [&](llvm::Error error) -> llvm::Error {
    std::string stranded;
    for (auto &[path, backup] : llvm::reverse(aside))
      if (fs::rename(backup, path))
        stranded += "; " + path + " is kept as " + backup;
    if (stranded.empty())
      return error;
    return makeError(llvm::toString(std::move(error)) + stranded);
  };
  for (PendingOutput &output : outputs) {
    if (!output.file || !fs::exists(output.path))
      continue;
    SmallString<128> backup;
    int fd;
    std::error_code ec =
        fs::createUniqueFile(output.path + "-%%%%%%.old", fd, backup);
    if (!ec) {
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      ec = fs::rename(output.path, backup);
      if (ec)
        fs::remove(backup);
    }
    if (ec)
      return restore(
          makeError("cannot replace " + output.path + ": " + ec.message()));
    aside.emplace_back(output.path, backup.str().str());
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (llvm::Error e = outputs[i].commit()) {
      // Output i too: a failed keep() may have left a copy or its file in
      // place (its original, if any, is aside).
      for (size_t j = 0; j <= i; ++j)
        if (!outputs[j].path.empty() && outputs[j].path != "-")
          fs::remove(outputs[j].path);
      return restore(std::move(e));
    }
  for (auto &[path, backup] : aside)
    fs::remove(backup);
  return llvm::Error::success();
}

llvm::Error quantc::PendingOutput::commit() {
  if (!file) {
    llvm::outs().flush();
    return llvm::Error::success();
  }
  stream->flush();
  std::error_code ec = stream->error();
  stream->clear_error();
  stream.reset();
  llvm::sys::fs::TempFile kept = std::move(*file);
  file.reset();
  if (ec) {
    llvm::consumeError(kept.discard());
    return makeError("cannot write " + path + ": " + ec.message());
  }
  if (llvm::Error e = kept.keep(path))
    return makeError("cannot write " + path + ": " +
                     llvm::toString(std::move(e)));
  return llvm::Error::success();
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
