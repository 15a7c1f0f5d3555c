//===- Status.h - the runtime's status objects ------------------*- C++ -*-===//

#ifndef QUANTC_RUNTIME_SRC_STATUS_H
#define QUANTC_RUNTIME_SRC_STATUS_H

#include "runtime/include/quantc_runtime.h"

#include <string>

namespace quantc {

/// A failed status carrying `message` (never null unless out of memory).
quantc_status *makeStatus(std::string message);

} // namespace quantc

#endif // QUANTC_RUNTIME_SRC_STATUS_H
