//===- KernelCalls.cpp - calls to the runtime's microkernels --------------===//

#include "backends/cpu/KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

func::FuncOp qc::cpu::declareKernel(ModuleOp module, StringRef name,
                                    ArrayRef<Type> args) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                FunctionType::get(ctx, args, {}));
  f.setPrivate();
  // Memref arguments reach the runtime as pointers to their descriptors.
  f->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  return f;
}

Value qc::cpu::emptyConstant(OpBuilder &b, Location loc, Type element) {
  auto type = RankedTensorType::get({0}, element);
  return arith::ConstantOp::create(
             b, loc, type, DenseElementsAttr::get(type, ArrayRef<Attribute>{}))
      .getResult();
}

Value qc::cpu::asReadOnlyBuffer(OpBuilder &b, Location loc, Value v,
                                Type argType) {
  auto type = cast<RankedTensorType>(v.getType());
  Value buffer = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), v,
      /*read_only=*/true);
  if (buffer.getType() == argType)
    return buffer;
  return memref::CastOp::create(b, loc, argType, buffer);
}

void qc::cpu::forEachOutputTile(
    OpBuilder &b, Location loc, Value rows, int64_t columns, OutputTile tile,
    function_ref<void(OpBuilder &, Value, Value, Value, Value)> body) {
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  int64_t columnTiles = (columns + tile.columns - 1) / tile.columns;
  Value rowTiles = arith::CeilDivUIOp::create(b, loc, rows, cst(tile.rows));
  Value tiles = arith::MulIOp::create(b, loc, rowTiles, cst(columnTiles));
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{tiles},
                                      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value t = forall.getInductionVars()[0];
  Value mi = arith::DivUIOp::create(b, loc, t, cst(columnTiles));
  Value ni = arith::RemUIOp::create(b, loc, t, cst(columnTiles));
  Value m0 = arith::MulIOp::create(b, loc, mi, cst(tile.rows));
  Value m1 = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, m0, cst(tile.rows)), rows);
  Value n0 = arith::MulIOp::create(b, loc, ni, cst(tile.columns));
  Value n1 = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, n0, cst(tile.columns)),
      cst(columns));
  body(b, m0, m1, n0, n1);
}

Value qc::cpu::callPerOutputTile(OpBuilder &b, Location loc,
                                 func::FuncOp kernel, ValueRange leading,
                                 Value rows2d, int64_t n, ValueRange trailing,
                                 OutputTile tile) {
  int64_t staticRows = cast<RankedTensorType>(rows2d.getType()).getDimSize(0);
  Value rows =
      staticRows == ShapedType::kDynamic
          ? tensor::DimOp::create(b, loc, rows2d, 0).getResult()
          : arith::ConstantIndexOp::create(b, loc, staticRows).getResult();
  auto outType = MemRefType::get({staticRows, n}, b.getF32Type());
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(rows);
  Value out = memref::AllocOp::create(b, loc, outType, dynamicRows,
                                      b.getI64IntegerAttr(64));
  SmallVector<Value> args(leading);
  args.push_back(memref::CastOp::create(
      b, loc, kernel.getArgumentTypes()[leading.size()], out));
  llvm::append_range(args, trailing);
  forEachOutputTile(b, loc, rows, n, tile,
                    [&](OpBuilder &nb, Value m0, Value m1, Value n0, Value n1) {
                      SmallVector<Value> callArgs(args);
                      callArgs.append({m0, m1, n0, n1});
                      func::CallOp::create(nb, loc, kernel, callArgs);
                    });
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(outType.getShape(), b.getF32Type()), out,
      /*restrict=*/true, /*writable=*/true);
}
