//===- CpuKernels.h - the artifact's calls into the microkernels -*- C++
//-*-===//
//
// A CPU artifact that calls microkernels has a `quantc_ukernels` table
// (backends/common/EmitSharedLibrary.cpp): {int64 abi version, qgemm_s8,
// sgemm_f32} (version 1 had qgemm_s8 only).
// bindCpuKernels fills it with the entry below, which unpacks the memref
// descriptors the generated code passes, checks them, and calls the int8
// microkernels chosen for this CPU once per process (runtime/ukernels).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SRC_CPUKERNELS_H
#define QUANTC_RUNTIME_SRC_CPUKERNELS_H

#include "runtime/src/Status.h"

namespace quantc {

/// Fills the artifact's `quantc_ukernels` table (`table` from dlsym, null
/// when the artifact has none); an error names `path` when the artifact
/// needs a table layout this runtime does not have.
Error bindCpuKernels(const char *path, void *table);

/// The name of the microkernel variant this process uses ("amx",
/// "avx512-vnni", "avx2", "scalar").
const char *cpuKernelIsa();

} // namespace quantc

#endif // QUANTC_RUNTIME_SRC_CPUKERNELS_H
