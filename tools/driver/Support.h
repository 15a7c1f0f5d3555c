//===- Support.h - diagnostics and temporary files for the driver -*- C++
//-*-===//
//
// Part of the driver library (QuantcDriver). The library reports failures as
// llvm::Error; MLIR diagnostics raised while a pipeline runs are captured by
// FirstError and become the error's message, one line naming the ONNX node
// or the MLIR location. Commands print the message; nothing below them does.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_SUPPORT_H
#define QUANTC_TOOLS_DRIVER_SUPPORT_H

#include "runtime/include/quantc_runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>

#include <string>
#include <vector>

namespace quantc {

/// Keeps the first error diagnostic as one line, "WHERE: MESSAGE", where
/// WHERE names the ONNX node or the MLIR location.
struct FirstError : mlir::ScopedDiagnosticHandler {
  std::string text;
  /// Every remark, as "WHERE: MESSAGE" (the passes' per-layer reports).
  std::vector<std::string> remarks;
  /// Every warning, likewise (printed by reportRemarks).
  std::vector<std::string> warnings;
  /// The pass MLIR's crash recovery reports as crashed when its report is
  /// the first error, from its note ("Pipeline failed while executing
  /// [`PASS` on ..."); empty otherwise.
  std::string crashedPass;
  explicit FirstError(mlir::MLIRContext *ctx);
  /// The captured diagnostic as an error, or `fallback` when none was seen.
  llvm::Error takeError(llvm::StringRef fallback) const;
};

/// A file removed when this goes out of scope (intermediate artifacts).
struct TemporaryFile {
  llvm::SmallString<128> path;
  /// Files written beside it (path + suffix, e.g. a stats file's ".gram"),
  /// removed with it.
  std::vector<std::string> companionSuffixes;
  /// Creates an empty file named PREFIX-XXXXXX.SUFFIX in the temp dir.
  llvm::Error create(llvm::StringRef prefix, llvm::StringRef suffix);
  ~TemporaryFile();
};

/// An output file written to a temporary beside `path` (same directory, so
/// the rename is atomic) and renamed onto `path` by commit(): a failure
/// before then leaves `path` as it was, and no partial file. (LLVM's
/// ToolOutputFile truncates `path` at once; llvm::writeToOutput takes the
/// whole content in one callback.)
class PendingOutput {
public:
  /// Opens the temporary for `path` ("-": standard output, written at once).
  static llvm::Expected<PendingOutput> create(llvm::StringRef path);
  PendingOutput(PendingOutput &&other);
  PendingOutput &operator=(PendingOutput &&) = delete;
  ~PendingOutput();

  llvm::raw_ostream &os();
  /// The temporary's path (empty for standard output). A producer that
  /// writes by path (the linker) may replace the file there; commit() then
  /// renames what it finds.
  llvm::StringRef stagePath() const;
  /// Flushes and renames the temporary onto the path.
  llvm::Error commit();

private:
  friend llvm::Error commitAll(llvm::MutableArrayRef<PendingOutput> outputs);
  PendingOutput(std::string path, std::optional<llvm::sys::fs::TempFile> file);
  std::string path;
  std::optional<llvm::sys::fs::TempFile> file; // none for standard output
  std::unique_ptr<llvm::raw_fd_ostream> stream;
};

/// Commits `outputs` together: every path gets its new file, or (a rename
/// failed) every path keeps what it had. Existing files are moved aside
/// first and moved back on failure; POSIX has no atomic multi-file rename.
llvm::Error commitAll(llvm::MutableArrayRef<PendingOutput> outputs);

/// An error whose message is `message`.
inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A --threads value: 0 (the runtime's default, all cores) or 1 to
/// QUANTC_MAX_THREADS; anything else is an error (OpenMP aborts on absurd
/// counts, and a negative one would silently mean the default).
inline llvm::Error checkThreads(int threads) {
  if (threads < 0 || threads > QUANTC_MAX_THREADS)
    return makeError("--threads " + llvm::Twine(threads) + ": give 1 to " +
                     llvm::Twine(QUANTC_MAX_THREADS) +
                     " (or leave it out for all cores)");
  return llvm::Error::success();
}

/// The files named by command-line entries FILE or NAME=FILE[,NAME=FILE...]
/// (samples, inputs): what a command reads besides its model.
std::vector<std::string> filesOfEntries(llvm::ArrayRef<std::string> entries);

/// An error when writing `output` would replace one of `inputs`: the same
/// file (compared by device and inode, so another spelling or a hard link
/// counts), or a file the command reads. A command checks every output it
/// will write before it writes anything.
llvm::Error checkNotAnInput(llvm::StringRef output,
                            llvm::ArrayRef<std::string> inputs);

/// `prefix` + ": " + the error's message (the error is consumed).
llvm::Error prefixError(const llvm::Twine &prefix, llvm::Error error);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_SUPPORT_H
