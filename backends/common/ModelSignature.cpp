//===- ModelSignature.cpp - a compiled model's inputs and outputs ---------===//

#include "backends/common/ModelSignature.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;

static std::string dtypeOf(Type t) {
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
    if (llvm::is_contained({8u, 16u, 32u, 64u}, it.getWidth()))
      return (it.isUnsigned() ? "uint" : "int") + std::to_string(it.getWidth());
  return "";
}

static FailureOr<TensorSignature> tensorSignature(func::FuncOp func, Type type,
                                                  DictionaryAttr attrs,
                                                  StringRef kind,
                                                  unsigned index) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return func.emitError()
           << kind << " " << index << " is not a ranked tensor: " << type;
  TensorSignature sig;
  std::string dtype = dtypeOf(tensor.getElementType());
  if (dtype.empty())
    return func.emitError() << kind << " " << index
                            << " has an element type no runtime dtype names: "
                            << tensor.getElementType();
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
  auto onnxDtype = attrs ? attrs.getAs<StringAttr>("onnx.dtype") : StringAttr();
  sig.name = name ? name.str() : (kind + Twine(index)).str();
  // The importer maps unsigned ONNX types to signless integers and records
  // the signedness here.
  sig.dtype = onnxDtype ? onnxDtype.str() : dtype;
  for (int64_t d : tensor.getShape())
    sig.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  auto range = attrs ? attrs.getAs<DenseI64ArrayAttr>("qc.index_range")
                     : DenseI64ArrayAttr();
  if (range && range.size() == 2 && range[0] <= range[1]) {
    sig.indexRange = {range[0], range[1]};
    auto node = attrs.getAs<StringAttr>("qc.index_node");
    sig.indexNode = node ? node.str() : "";
  }
  return sig;
}

FailureOr<ModelSignature> mlir::qc::getModelSignature(func::FuncOp func) {
  ModelSignature sig;
  FunctionType type = func.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs())) {
    auto s = tensorSignature(func, t, func.getArgAttrDict(i), "input", i);
    if (failed(s))
      return failure();
    sig.inputs.push_back(std::move(*s));
  }
  for (auto [i, t] : llvm::enumerate(type.getResults())) {
    auto s = tensorSignature(func, t, func.getResultAttrDict(i), "output", i);
    if (failed(s))
      return failure();
    sig.outputs.push_back(std::move(*s));
  }
  if (sig.outputs.empty())
    return func.emitError("the model has no outputs");
  return sig;
}

static std::string percentEncode(StringRef s) {
  std::string out;
  for (unsigned char c : s) {
    if (llvm::isAlnum(c) || StringRef("_.:/-").contains(c))
      out.push_back(c);
    else
      out += {'%', llvm::hexdigit(c >> 4), llvm::hexdigit(c & 15)};
  }
  return out.empty() ? "%" : out; // "%" alone spells the empty name
}

std::string mlir::qc::formatSignature(const ModelSignature &signature,
                                      unsigned version) {
  std::string text = "quantc-signature " + std::to_string(version) + "\n";
  llvm::raw_string_ostream os(text);
  auto emit = [&](StringRef kind, const TensorSignature &t) {
    os << kind << ' ' << percentEncode(t.name) << ' ' << t.dtype << ' '
       << t.shape.size();
    for (int64_t d : t.shape)
      os << ' ' << d;
    os << '\n';
    if (t.indexRange)
      os << "range " << t.indexRange->first << ' ' << t.indexRange->second
         << ' ' << percentEncode(t.indexNode) << '\n';
  };
  for (const TensorSignature &t : signature.inputs)
    emit("input", t);
  for (const TensorSignature &t : signature.outputs)
    emit("output", t);
  return text;
}

/// A C identifier made from `s`: letters, digits and underscores, upper case.
static std::string macroName(StringRef s) {
  std::string out;
  for (char c : s)
    out.push_back(llvm::isAlnum(c) ? llvm::toUpper(c) : '_');
  if (out.empty() || llvm::isDigit(out[0]))
    out.insert(0, "M_");
  return out;
}

static std::string cString(StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c < 0x20 || c >= 0x7f || c == '?')
      // Three octal digits: C reads at most three, so a digit after them
      // stays a character.
      out += {'\\', char('0' + (c >> 6)), char('0' + ((c >> 3) & 7)),
              char('0' + (c & 7))};
    else
      out += c;
  }
  return out + "\"";
}

std::string mlir::qc::formatCHeader(const ModelSignature &signature,
                                    StringRef modelName) {
  std::string p = macroName(modelName);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* " << modelName << ": generated by quantc; load the matching .so "
     << "with quantc_model_load(). Dynamic sizes are -1. */\n"
     << "#ifndef QUANTC_MODEL_" << p << "_H\n#define QUANTC_MODEL_" << p
     << "_H\n\n#include \"quantc_runtime.h\"\n\n";
  auto dtypeMacro = [](StringRef dtype) {
    return "QUANTC_DTYPE_" + macroName(dtype);
  };
  auto emit = [&](StringRef kind, ArrayRef<TensorSignature> tensors) {
    std::string k = macroName(kind);
    os << "#define " << p << "_NUM_" << k << "S " << tensors.size() << "\n";
    for (auto [i, t] : llvm::enumerate(tensors)) {
      std::string m = llvm::formatv("{0}_{1}{2}", p, k, i).str();
      os << "\n/* " << kind << " " << i << ": " << t.dtype << " [";
      llvm::interleave(
          t.shape, os,
          [&](int64_t d) { os << (d < 0 ? "?" : std::to_string(d)); }, ", ");
      os << "] */\n#define " << m << "_NAME " << cString(t.name) << "\n#define "
         << m << "_DTYPE " << dtypeMacro(t.dtype) << "\n#define " << m
         << "_RANK " << t.shape.size() << "\n";
      if (!t.shape.empty()) {
        os << "static const int64_t " << m << "_SHAPE[" << t.shape.size()
           << "] = {";
        llvm::interleaveComma(t.shape, os);
        os << "};\n";
      }
    }
    os << "\n";
  };
  emit("input", signature.inputs);
  emit("output", signature.outputs);
  os << "#endif\n";
  return text;
}
