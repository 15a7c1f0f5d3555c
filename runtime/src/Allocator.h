//===- Allocator.h - buffers for generated code -----------------*- C++ -*-===//

#ifndef QUANTC_RUNTIME_SRC_ALLOCATOR_H
#define QUANTC_RUNTIME_SRC_ALLOCATOR_H

#include <cstddef>

namespace quantc {

/// The allocator generated code calls for every buffer (through the model's
/// `quantc_allocator` table). Freed blocks are kept by exact size and
/// handed out again: a model allocates the same sizes on every run, and
/// glibc would otherwise return each large block to the kernel and take the
/// page faults again (half of a small model's run time, measured). Null when
/// memory runs out; thread-safe.
void *allocate(size_t bytes) noexcept;
void deallocate(void *p) noexcept;

} // namespace quantc

#endif // QUANTC_RUNTIME_SRC_ALLOCATOR_H
