//===- OnnxImporter.cpp - ONNX model to MLIR ------------------------------===//

#include "frontends/onnx/OnnxImporter.h"

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxModel.h"

#include "dialects/qc/IR/QcDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::qc::onnx;

void mlir::qc::onnx::registerImportedDialects(DialectRegistry &registry) {
  registry.insert<qc::QcDialect, arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
}

static const OpTable &opTable() {
  static const OpTable table = [] {
    OpTable t;
    registerElementwiseOps(t);
    registerReductionOps(t);
    registerShapeOps(t);
    registerSliceOps(t);
    registerIndexingOps(t);
    registerResizeOps(t);
    registerLinearOps(t);
    registerNormOps(t);
    registerControlFlowOps(t);
    registerQuantizedOps(t);
    return t;
  }();
  return table;
}

/// Tensor type of a graph input from its ValueInfoProto, with the dynamic
/// sizes `options` fixes; the keys it used go into `used`.
static FailureOr<RankedTensorType>
valueInfoType(MLIRContext *ctx, const ::onnx::ValueInfoProto &info,
              const ImportOptions &options, llvm::StringSet<> &used,
              std::string &error) {
  if (!info.type().has_tensor_type()) {
    error = "graph value '" + info.name() + "' is not a tensor";
    return failure();
  }
  const auto &tt = info.type().tensor_type();
  Type element = convertElementType(ctx, tt.elem_type());
  if (!element) {
    error = "graph value '" + info.name() + "' has unsupported type " +
            dataTypeName(tt.elem_type());
    return failure();
  }
  if (!tt.has_shape()) {
    error = "graph input '" + info.name() + "' has no shape (unknown rank)";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t elements = 1;
  for (const auto &d : tt.shape().dim()) {
    std::string axisKey = info.name() + ":" + std::to_string(shape.size());
    std::optional<int64_t> fixed;
    for (const std::string &key :
         {d.has_dim_param() ? d.dim_param() : "", axisKey}) {
      auto it = options.dimSizes.find(key);
      if (key.empty() || it == options.dimSizes.end())
        continue;
      if (d.has_dim_value() && d.dim_value() != it->second) {
        error = "--dim " + key + "=" + std::to_string(it->second) +
                " contradicts the model: graph input '" + info.name() +
                "' has size " + std::to_string(d.dim_value()) +
                " in dimension " + std::to_string(shape.size());
        return failure();
      }
      if (fixed && *fixed != it->second) {
        error = "--dim " + key + "=" + std::to_string(it->second) +
                " contradicts --dim " + d.dim_param() + "=" +
                std::to_string(*fixed) + " (the same dimension)";
        return failure();
      }
      used.insert(key);
      fixed = it->second;
    }
    if (fixed) {
      if (*fixed < 0) {
        error = "--dim " + axisKey + ": a size must be >= 0";
        return failure();
      }
      if (__builtin_mul_overflow(elements, *fixed, &elements)) {
        error = "graph value '" + info.name() +
                "' has more elements than 64 bits count";
        return failure();
      }
      shape.push_back(*fixed);
      continue;
    }
    if (d.has_dim_value() && d.dim_value() < 0) {
      error = "graph value '" + info.name() + "' has a negative size (" +
              std::to_string(d.dim_value()) + ") in dimension " +
              std::to_string(shape.size()) +
              " (a dynamic size is a dim_param or no value)";
      return failure();
    }
    if (d.has_dim_value() &&
        __builtin_mul_overflow(elements, d.dim_value(), &elements)) {
      error = "graph value '" + info.name() +
              "' has more elements than 64 bits count";
      return failure();
    }
    shape.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
  }
  return RankedTensorType::get(shape, element);
}

/// Erases pure ops nobody uses (shape scaffolding that folded away).
static void eraseDeadOps(Operation *root) {
  root->walk<WalkOrder::PostOrder, mlir::ReverseIterator>([](Operation *op) {
    if (isOpTriviallyDead(op))
      op->erase();
  });
}

static OwningOpRef<ModuleOp> importModel(MLIRContext *context,
                                         const std::string &path,
                                         const ImportOptions &options,
                                         std::string &error);

OwningOpRef<ModuleOp>
mlir::qc::onnx::importOnnxFile(MLIRContext *context, const std::string &path,
                               std::string &error,
                               const ImportOptions &options) {
  OwningOpRef<ModuleOp> module = importModel(context, path, options, error);
  // Names in the model may hold anything: the error stays one line.
  if (!module)
    error = printable(error);
  return module;
}

static OwningOpRef<ModuleOp> importModel(MLIRContext *context,
                                         const std::string &path,
                                         const ImportOptions &options,
                                         std::string &error) {
  // Load only what the importer emits, not every dialect the tool knows.
  DialectRegistry registry;
  registerImportedDialects(registry);
  context->appendDialectRegistry(registry);
  for (StringRef name : registry.getDialectNames())
    context->getOrLoadDialect(name);

  std::unique_ptr<::onnx::ModelProto> model = loadModel(path, error);
  if (!model)
    return nullptr;
  const ::onnx::GraphProto &graph = model->graph();

  int64_t opset = -1;
  for (const auto &entry : model->opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  if (opset < 0)
    opset = 1; // IR version 1-2 models without opset_import
  // Operators change meaning between opsets; past the newest the handlers
  // know (opset 18: Reduce* axes as an input, Split's num_outputs, Resize's
  // new attributes), a model would be imported with older semantics.
  if (opset == 0 || opset > kNewestOpset) {
    error = "the model imports ONNX opset " + std::to_string(opset) +
            "; quantc knows opsets 1 to " + std::to_string(kNewestOpset);
    return nullptr;
  }

  OpBuilder b(context);
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  if (!graph.name().empty())
    (*module)->setAttr("onnx.graph_name", b.getStringAttr(graph.name()));
  (*module)->setAttr("onnx.opset", b.getI64IntegerAttr(opset));

  llvm::StringSet<> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());

  SmallVector<Type> argTypes;
  SmallVector<const ::onnx::ValueInfoProto *> args;
  llvm::StringSet<> inputNames, usedDims;
  for (const auto &input : graph.input()) {
    if (!inputNames.insert(input.name()).second) {
      error = "graph input '" + input.name() + "' is declared twice";
      return nullptr;
    }
    if (initializers.contains(input.name()))
      continue; // an initializer's default value is used as a constant
    auto type = valueInfoType(context, input, options, usedDims, error);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    args.push_back(&input);
  }
  // A size for a dimension the model does not have is a typo: refused
  // rather than ignored.
  for (const auto &entry : options.dimSizes)
    if (!usedDims.contains(entry.getKey())) {
      error = "--dim " + entry.getKey().str() +
              " names no dimension of the graph's inputs (a dim_param name, "
              "or INPUT:AXIS)";
      return nullptr;
    }

  b.setInsertionPointToEnd(module->getBody());
  auto func =
      func::FuncOp::create(b, fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  GraphImporter importer(context, opTable(), opset, path, error);
  for (const auto &entry : model->opset_import())
    importer.domainOpsets[entry.domain() == "ai.onnx" ? "" : entry.domain()] =
        entry.version();
  for (auto [i, info] : llvm::enumerate(args)) {
    int32_t dtype = info->type().tensor_type().elem_type();
    func.setArgAttr(i, "onnx.name", b.getStringAttr(info->name()));
    func.setArgAttr(i, "onnx.dtype", b.getStringAttr(dataTypeName(dtype)));
    TensorValue tv;
    tv.value = entry->getArgument(i);
    tv.isUnsigned = isUnsignedDataType(dtype);
    importer.values[info->name()] = tv;
  }

  // Diagnostics from builders or folds during import go into the error line
  // instead of the terminal.
  // Locations are node names, so a diagnostic names the node it is about.
  std::string diagnostic;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    if (!diagnostic.empty())
      return success();
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      diagnostic = "node '" + name.getName().str() + "': ";
    diagnostic += diag.str();
    return success();
  });

  if (failed(importer.importBody(graph, b))) {
    if (error.empty())
      error = diagnostic.empty() ? "import failed" : diagnostic;
    return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    const TensorValue *tv = importer.lookup(output.name());
    if (!tv || !tv->value) {
      error = "graph output '" + output.name() + "' is never produced";
      return nullptr;
    }
    results.push_back(tv->value);
    resultTypes.push_back(tv->value.getType());
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "onnx.name", b.getStringAttr(output.name()));
    const TensorValue *tv = importer.lookup(output.name());
    func.setResultAttr(
        i, "onnx.dtype",
        b.getStringAttr(dataTypeName(
            cast<RankedTensorType>(tv->value.getType()).getElementType(),
            tv->isUnsigned)));
  }

  eraseDeadOps(func);
  if (failed(verify(*module))) {
    error = "the imported IR does not verify: " +
            (diagnostic.empty() ? std::string("(no diagnostic)") : diagnostic);
    return nullptr;
  }
  return module;
}
