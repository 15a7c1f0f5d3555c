//===- BoundedParse.h - users' text parsed with its nesting bounded -*- C++
//-*-//
//
// Recursive-descent parsers (llvm::json::parse, MLIR's) recurse once per
// nesting level, so a file of a million '[' overflows the stack. The stats
// and sensitivity files nest a few levels and qc IR a few dozen: their text
// is scanned (without recursion) against a bound before it is parsed.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_BOUNDEDPARSE_H
#define QUANTC_PASSES_BOUNDEDPARSE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>

namespace mlir::qc {

/// The deepest nesting parseJsonFile accepts.
inline constexpr int kMaxJsonDepth = 64;

/// The offset in `text` where brackets ('(', '[', '{' against ')', ']',
/// '}'; not inside "..." strings, where a backslash escapes the next
/// character) first nest deeper than `maxDepth`, or nullopt.
std::optional<size_t> tooDeep(llvm::StringRef text, int maxDepth);

/// `text` parsed as JSON, or an error "WHAT is not valid JSON: ..." (also
/// for nesting deeper than kMaxJsonDepth).
llvm::Expected<llvm::json::Value> parseJsonFile(llvm::StringRef text,
                                                llvm::StringRef what);

} // namespace mlir::qc

#endif // QUANTC_PASSES_BOUNDEDPARSE_H
