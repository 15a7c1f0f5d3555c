//===- GraphImporter.cpp - one ONNX graph (or subgraph) to MLIR -----------===//

#include "frontends/onnx/GraphImporter.h"

#include "frontends/onnx/OnnxModel.h"

#include "dialects/qc/IR/QcDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <deque>

using namespace mlir;
using namespace mlir::qc::onnx;

const TensorValue *GraphImporter::lookup(StringRef name) const {
  for (const GraphImporter *g = this; g; g = g->parent) {
    auto it = g->values.find(name);
    if (it != g->values.end())
      return &it->second;
  }
  return nullptr;
}

std::string mlir::qc::onnx::printable(StringRef name) {
  bool plain = llvm::json::isUTF8(name) && llvm::none_of(name, [](char c) {
                 return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
               });
  if (plain)
    return name.str();
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::printEscapedString(name, os);
  return out;
}

std::string GraphImporter::describe(const ::onnx::NodeProto &node) const {
  std::string name = printable(node.name());
  if (name.empty())
    name = node.output_size()
               ? "<unnamed, output " + printable(node.output(0)) + ">"
               : "<unnamed>";
  int64_t version = opset;
  for (const GraphImporter *g = this; g; g = g->parent) {
    auto it = g->domainOpsets.find(node.domain());
    if (it != g->domainOpsets.end()) {
      version = it->second;
      break;
    }
  }
  return "node '" + name + "' (" + printable(node.op_type()) + ", domain '" +
         printable(node.domain()) + "', opset " + std::to_string(version) + ")";
}

/// Names a subgraph reads from enclosing scopes: used but not defined inside.
static void collectOuterReferences(const ::onnx::GraphProto &graph,
                                   llvm::StringSet<> &outer) {
  llvm::StringSet<> defined;
  for (const auto &i : graph.input())
    defined.insert(i.name());
  for (const auto &i : graph.initializer())
    defined.insert(i.name());
  for (const auto &node : graph.node())
    for (const auto &o : node.output())
      defined.insert(o);
  auto use = [&](const std::string &name) {
    if (!name.empty() && !defined.contains(name))
      outer.insert(name);
  };
  for (const auto &node : graph.node()) {
    for (const auto &i : node.input())
      use(i);
    for (const auto &a : node.attribute()) {
      llvm::StringSet<> inner;
      if (a.has_g())
        collectOuterReferences(a.g(), inner);
      for (const auto &g : a.graphs())
        collectOuterReferences(g, inner);
      for (const auto &entry : inner)
        use(entry.getKey().str());
    }
  }
  for (const auto &o : graph.output())
    use(o.name());
}

/// Every name node `node` needs before it can be imported.
static SmallVector<std::string> dependencies(const ::onnx::NodeProto &node) {
  SmallVector<std::string> deps;
  for (const auto &i : node.input())
    if (!i.empty())
      deps.push_back(i);
  for (const auto &a : node.attribute()) {
    llvm::StringSet<> outer;
    if (a.has_g())
      collectOuterReferences(a.g(), outer);
    for (const auto &g : a.graphs())
      collectOuterReferences(g, outer);
    for (const auto &entry : outer)
      deps.push_back(entry.getKey().str());
  }
  return deps;
}

LogicalResult GraphImporter::importBody(const ::onnx::GraphProto &graph,
                                        OpBuilder &b) {
  for (const auto &init : graph.initializer()) {
    if (values.count(init.name()))
      continue; // a repeated initializer name: the first one stands
    auto loc = NameLoc::get(StringAttr::get(context, init.name()));
    auto tv = importTensor(init, b, loc, init.name());
    if (failed(tv)) {
      error = "initializer '" + init.name() + "': " + error;
      return failure();
    }
    values[init.name()] = *tv;
  }

  // Each value has one writer (ONNX graphs are in SSA form): a second node
  // writing a name, or a node writing over this graph's input or
  // initializer, would silently replace it.
  llvm::StringMap<int> writer;
  llvm::StringSet<> given;
  for (const auto &input : graph.input())
    given.insert(input.name());
  for (const auto &init : graph.initializer())
    given.insert(init.name());
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &o : graph.node(i).output()) {
      if (o.empty())
        continue;
      if (given.contains(o)) {
        error = describe(graph.node(i)) + ": writes '" + o +
                "', which is a graph input or initializer";
        return failure();
      }
      auto [it, inserted] = writer.try_emplace(o, i);
      if (!inserted) {
        error = describe(graph.node(i)) + ": writes '" + o + "', which " +
                describe(graph.node(it->second)) + " already writes";
        return failure();
      }
    }

  std::deque<int> pending;
  for (int i = 0; i < graph.node_size(); ++i)
    pending.push_back(i);
  return importNodes(graph, std::move(pending), b);
}

LogicalResult GraphImporter::importNodes(const ::onnx::GraphProto &graph,
                                         std::deque<int> pending,
                                         OpBuilder &b) {
  // Kahn-style: ONNX asks for topological order, but exporters do not always
  // keep it, so nodes whose inputs are not ready yet wait for another round.
  while (!pending.empty()) {
    bool progress = false;
    size_t rounds = pending.size();
    for (size_t r = 0; r < rounds; ++r) {
      int index = pending.front();
      pending.pop_front();
      const auto &node = graph.node(index);
      bool ready = llvm::all_of(dependencies(node), [&](const std::string &d) {
        return lookup(d) != nullptr;
      });
      if (!ready) {
        pending.push_back(index);
        continue;
      }
      if (failed(importNode(node, index, b)))
        return failure();
      if (split)
        return importAfterSplit(graph, std::move(pending), b);
      progress = true;
    }
    if (progress)
      continue;
    // Nothing could run: either a name nobody defines, or a cycle.
    llvm::StringSet<> produced;
    for (int index : pending)
      for (const auto &o : graph.node(index).output())
        produced.insert(o);
    for (int index : pending) {
      const auto &node = graph.node(index);
      for (const auto &d : dependencies(node))
        if (!lookup(d) && !produced.contains(d)) {
          error = describe(node) + ": input '" + d +
                  "' is not a graph input, an initializer or the output of "
                  "any node";
          return failure();
        }
    }
    error = describe(graph.node(pending.front())) +
            ": the graph has a cycle through this node";
    return failure();
  }
  return success();
}

std::optional<Type> mlir::qc::onnx::joinTensorTypes(Type a, Type b) {
  if (a == b)
    return a;
  auto ta = dyn_cast<RankedTensorType>(a), tb = dyn_cast<RankedTensorType>(b);
  if (!ta || !tb || ta.getRank() != tb.getRank() ||
      ta.getElementType() != tb.getElementType())
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
    shape.push_back(x == y ? x : ShapedType::kDynamic);
  return RankedTensorType::get(shape, ta.getElementType());
}

int GraphImporter::splitNesting() const {
  int depth = 0;
  for (const GraphImporter *g = this; g; g = g->parent)
    depth += g->splitDepth;
  return depth;
}

LogicalResult GraphImporter::importAfterSplit(const ::onnx::GraphProto &graph,
                                              std::deque<int> pending,
                                              OpBuilder &b) {
  std::unique_ptr<RankSplit> s = std::move(split);
  if (splitNesting() >= kMaxRankSplits) {
    error = describe(*s->node) +
            ": branch outputs differ in rank, and the graph already has " +
            std::to_string(kMaxRankSplits) +
            " such Ifs before it (each doubles the code after it); fix the "
            "sizes the conditions test with --dim NAME=SIZE";
    return failure();
  }
  // The scope as it was before the split, restored however this returns
  // (values imported into a branch die with its region).
  llvm::StringMap<TensorValue> before = values;
  ++splitDepth;
  llvm::scope_exit restore([&] {
    --splitDepth;
    values = before;
  });
  const char *what = parent ? "branch output" : "graph output";
  SmallVector<TensorValue> outputs[2];
  for (int branch = 0; branch < 2; ++branch) {
    values = before;
    for (auto [i, tv] : llvm::enumerate(s->results[branch]))
      if (i < static_cast<size_t>(s->node->output_size()) &&
          !s->node->output(i).empty())
        values[s->node->output(i)] = tv;
    OpBuilder rb(context);
    rb.setInsertionPointToEnd(&s->regions[branch]->front());
    // Inside the branch its condition is known: a later If on the same
    // value is decided at import instead of splitting again.
    auto condType = RankedTensorType::get({}, rb.getI1Type());
    TensorValue known;
    known.value = arith::ConstantOp::create(
        rb, s->condition.getLoc(),
        DenseElementsAttr::get(condType, branch == 0));
    values[s->node->input(0)] = known;
    if (failed(importNodes(graph, pending, rb)))
      return failure();
    for (const auto &output : graph.output()) {
      const TensorValue *tv = lookup(output.name());
      if (!tv || !tv->value) {
        error = std::string(what) + " '" + printable(output.name()) +
                "' is never produced";
        return failure();
      }
      outputs[branch].push_back(*tv);
    }
  }
  restore.release();
  --splitDepth;
  values = std::move(before);

  SmallVector<Type> types;
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    const TensorValue &t = outputs[0][i], &e = outputs[1][i];
    std::optional<Type> joined =
        joinTensorTypes(t.value.getType(), e.value.getType());
    if (!joined || t.isUnsigned != e.isUnsigned) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << describe(*s->node) << ": " << what << " '"
         << printable(output.name()) << "' is ";
      if (joined)
        os << "unsigned after one branch and signed after the other";
      else
        os << t.value.getType() << " after the then branch and "
           << e.value.getType() << " after the else branch";
      os << "; " << (parent ? "the enclosing If's" : "a compiled model's")
         << " outputs need one " << (joined ? "type" : "rank")
         << " (if the condition depends on input sizes, fix them with --dim "
            "NAME=SIZE)";
      error = message;
      return failure();
    }
    types.push_back(*joined);
  }
  Location loc = NameLoc::get(StringAttr::get(
      context, s->node->name().empty() ? s->node->output(0) : s->node->name()));
  for (int branch = 0; branch < 2; ++branch) {
    OpBuilder yb(context);
    yb.setInsertionPointToEnd(&s->regions[branch]->front());
    SmallVector<Value> yielded;
    for (auto [tv, type] : llvm::zip(outputs[branch], types))
      yielded.push_back(
          tv.value.getType() == type
              ? tv.value
              : tensor::CastOp::create(yb, loc, type, tv.value).getResult());
    scf::YieldOp::create(yb, loc, yielded);
  }
  auto ifOp = scf::IfOp::create(b, loc, types, s->condition,
                                /*addThenBlock=*/false,
                                /*addElseBlock=*/false);
  ifOp.getThenRegion().takeBody(*s->regions[0]);
  ifOp.getElseRegion().takeBody(*s->regions[1]);
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    TensorValue tv;
    tv.value = ifOp.getResult(i);
    tv.isUnsigned = outputs[0][i].isUnsigned;
    values[output.name()] = tv;
  }
  return success();
}

LogicalResult GraphImporter::importNode(const ::onnx::NodeProto &node,
                                        int index, OpBuilder &b) {
  std::string name = node.name().empty()
                         ? (node.output_size() ? node.output(0)
                                               : "node" + std::to_string(index))
                         : node.name();
  Location loc = NameLoc::get(StringAttr::get(context, name));
  if (splitNesting() > 0) {
    // A copy (see RankSplit): marked so that passes can tell the copies of
    // one node from different nodes of one name.
    GraphImporter *root = this;
    while (root->parent)
      root = root->parent;
    unsigned id =
        root->copiedNodeIds.try_emplace(&node, root->copiedNodeIds.size())
            .first->second;
    loc = NameLoc::get(StringAttr::get(context, name),
                       FileLineColLoc::get(context, kCopiedNodeFile, id, 0));
  }
  NodeImporter n(*this, node, opset, b, loc);
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return n.fail("unsupported operator '" + node.op_type() + "' in domain '" +
                  node.domain() + "'");
  auto it = table.find(node.op_type());
  if (it == table.end())
    return n.fail("unsupported operator '" + node.op_type() + "'");
  // The handlers read attributes by name with defaults: a wrong type or a
  // missing required attribute would silently become the default.
  std::string attributeError = checkNodeAttributes(node, opset);
  if (!attributeError.empty())
    return n.fail(attributeError);
  for (int i = 0; i < node.input_size(); ++i) {
    if (!n.hasInput(i))
      continue;
    const TensorValue *tv = lookup(node.input(i));
    if (!isa<RankedTensorType>(tv->value.getType()))
      return n.fail("input '" + node.input(i) + "' has no known rank");
  }
  if (failed(it->second(n)))
    return n.fail("could not be imported");
  if (split)
    return success(); // the outputs exist only inside the branches
  for (int i = 0; i < node.output_size(); ++i)
    if (n.hasOutput(i) &&
        (!values.count(node.output(i)) || !values[node.output(i)].value))
      return n.fail("output #" + Twine(i) + " ('" + node.output(i) +
                    "') is not supported");
  return success();
}
