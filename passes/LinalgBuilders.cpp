//===- LinalgBuilders.cpp - small builders shared by qc lowerings ---------===//

#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

OpFoldResult qc::sizeOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d).getResult();
}

Value qc::zeroFilled(OpBuilder &b, Location loc, Value empty) {
  Type elem = cast<RankedTensorType>(empty.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

SmallVector<utils::IteratorType> qc::iterators(unsigned parallel,
                                               unsigned reduction) {
  SmallVector<utils::IteratorType> it(parallel, utils::IteratorType::parallel);
  it.append(reduction, utils::IteratorType::reduction);
  return it;
}

/// [[0, ..., rank-2], [rank-1]].
static SmallVector<ReassociationIndices> rowsReassociation(int64_t rank) {
  SmallVector<ReassociationIndices> reassoc(2);
  for (int64_t i = 0; i < rank - 1; ++i)
    reassoc[0].push_back(i);
  reassoc[1].push_back(rank - 1);
  return reassoc;
}

Value qc::collapseToRows(OpBuilder &b, Location loc, Value v) {
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  if (rank == 2)
    return v;
  return tensor::CollapseShapeOp::create(b, loc, v, rowsReassociation(rank));
}

Value qc::expandRows(OpBuilder &b, Location loc, Value rows2d, Value like,
                     RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return rows2d;
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank - 1; ++d)
    sizes.push_back(sizeOf(b, loc, like, d));
  sizes.push_back(sizeOf(b, loc, rows2d, 1));
  return tensor::ExpandShapeOp::create(b, loc, resultType, rows2d,
                                       rowsReassociation(rank), sizes);
}
