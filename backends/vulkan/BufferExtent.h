//===- BufferExtent.h - how far a strided buffer reaches --------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_VULKAN_BUFFEREXTENT_H
#define QUANTC_BACKENDS_VULKAN_BUFFEREXTENT_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::qc::vulkan {

/// Elements from the base of `meta`'s buffer to one past the last element
/// its sizes and strides address: offset + sum((size_d - 1) * stride_d) + 1,
/// or 0 when a size is 0. Both the binding range a launch passes to the
/// runtime and the 1-d view kernels index through cover exactly this.
Value reachedElements(OpBuilder &b, Location loc,
                      memref::ExtractStridedMetadataOp meta);

} // namespace mlir::qc::vulkan

#endif // QUANTC_BACKENDS_VULKAN_BUFFEREXTENT_H
