//===- BoundedParse.cpp - users' text parsed with its nesting bounded -----===//

#include "passes/BoundedParse.h"

using namespace mlir;

std::optional<size_t> qc::tooDeep(llvm::StringRef text, int maxDepth) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{' || c == '(') {
      if (++depth > maxDepth)
        return i;
    } else if (c == ']' || c == '}' || c == ')') {
      --depth;
    }
  }
  return std::nullopt;
}

llvm::Expected<llvm::json::Value> qc::parseJsonFile(llvm::StringRef text,
                                                    llvm::StringRef what) {
  auto invalid = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   what + " is not valid JSON: " + why);
  };
  if (std::optional<size_t> at = tooDeep(text, kMaxJsonDepth))
    return invalid("nested deeper than " + llvm::Twine(kMaxJsonDepth) +
                   " levels at offset " + llvm::Twine(*at));
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return invalid(llvm::toString(json.takeError()));
  return json;
}
