//===- InitAll.h - register quantc's dialects and passes --------*- C++ -*-===//

#ifndef QUANTC_TOOLS_INITALL_H
#define QUANTC_TOOLS_INITALL_H

namespace mlir {
class DialectRegistry;
namespace qc {

/// Adds the qc dialect and every upstream dialect (and interface extension)
/// that quantc's IR uses at any stage.
void registerAllDialects(DialectRegistry &registry);

/// Registers quantc's passes and pipelines and the upstream passes its
/// pipelines are built from, for `quant-opt` and `--pass-pipeline`.
void registerAllPasses();

} // namespace qc
} // namespace mlir

#endif // QUANTC_TOOLS_INITALL_H
