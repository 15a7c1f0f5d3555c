//===- Signature.cpp - a compiled model's signature text ------------------===//

#include "runtime/src/Signature.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

using quantc::runtime::TensorInfo;

namespace {

quantc_dtype dtypeFromName(const std::string &name) {
  for (int v = 1; v <= 16; ++v) {
    auto d = static_cast<quantc_dtype>(v);
    if (quantc_dtype_size(d) && name == quantc_dtype_name(d))
      return d;
  }
  return QUANTC_DTYPE_INVALID;
}

bool isHex(const std::string &s, size_t i) {
  return i + 1 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])) &&
         std::isxdigit(static_cast<unsigned char>(s[i + 1]));
}

/// Undoes ModelSignature.cpp's percentEncode ("%" alone is the empty name).
std::string percentDecode(const std::string &s) {
  if (s == "%")
    return "";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && isHex(s, i + 1)) {
      out.push_back(static_cast<char>(
          std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

} // namespace

std::string quantc::runtime::parseSignature(const char *text,
                                            std::vector<TensorInfo> &inputs,
                                            std::vector<TensorInfo> &outputs) {
  std::istringstream in(text);
  std::string magic;
  int version = 0;
  // Version 2 (artifacts that call microkernels) has version 1's text; it
  // exists so that runtimes without the microkernel table refuse them.
  if (!(in >> magic >> version) || magic != "quantc-signature" ||
      (version != 1 && version != 2))
    return "unsupported signature format";
  std::string kind;
  while (in >> kind) {
    if (kind == "range") {
      std::string node;
      if (inputs.empty() || !outputs.empty() || inputs.back().hasRange ||
          !(in >> inputs.back().lo >> inputs.back().hi >> node) ||
          inputs.back().lo > inputs.back().hi ||
          (inputs.back().dtype != QUANTC_DTYPE_INT64 &&
           inputs.back().dtype != QUANTC_DTYPE_INT32))
        return "bad range entry in the signature";
      for (size_t i = 0; i < node.size(); ++i)
        if (node[i] == '%' && node != "%" && !isHex(node, i + 1))
          return "bad name in the signature";
      inputs.back().hasRange = true;
      inputs.back().rangeNode = percentDecode(node);
      continue;
    }
    if (kind != "input" && kind != "output")
      return "bad signature entry '" + kind + "'";
    TensorInfo t;
    std::string name, dtype;
    size_t rank = 0;
    if (!(in >> name >> dtype >> rank) || rank > QUANTC_MAX_RANK)
      return "bad signature entry for an " + kind;
    for (size_t i = 0; i < name.size(); ++i)
      if (name[i] == '%' && name != "%" && !isHex(name, i + 1))
        return "bad name in the signature";
    t.name = percentDecode(name);
    t.dtype = dtypeFromName(dtype);
    if (t.dtype == QUANTC_DTYPE_INVALID)
      return "unknown dtype '" + dtype + "' in the signature";
    t.shape.resize(rank);
    for (int64_t &d : t.shape)
      if (!(in >> d) || d < -1)
        return "bad shape in the signature";
    (kind == "input" ? inputs : outputs).push_back(std::move(t));
  }
  if (outputs.empty())
    return "the signature names no outputs";
  return "";
}
