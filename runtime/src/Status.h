//===- Status.h - the runtime's status objects ------------------*- C++ -*-===//

#ifndef QUANTC_RUNTIME_SRC_STATUS_H
#define QUANTC_RUNTIME_SRC_STATUS_H

#include "quantc_runtime.h"

#include <new>
#include <string>

namespace quantc {

/// A failure inside the runtime, turned into a status at the API boundary.
struct Error {
  quantc_status_code code = QUANTC_OK;
  std::string message;

  explicit operator bool() const { return code != QUANTC_OK; }
};

/// A failed status with `code` and `message`; the static out-of-memory
/// status when there is no memory for it.
quantc_status *makeStatus(quantc_status_code code,
                          const std::string &message) noexcept;
inline quantc_status *makeStatus(const Error &error) noexcept {
  return makeStatus(error.code, error.message);
}

/// The static QUANTC_OUT_OF_MEMORY status (nothing to allocate or free).
quantc_status *outOfMemory() noexcept;

/// Runs `body` (which returns a status) so that no exception leaves the C
/// API: std::bad_alloc becomes the static out-of-memory status, anything
/// else QUANTC_INTERNAL.
template <typename Body>
quantc_status *guard(Body &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return outOfMemory();
  } catch (...) {
    return makeStatus(QUANTC_INTERNAL, "unexpected exception in the runtime");
  }
}

} // namespace quantc

#endif // QUANTC_RUNTIME_SRC_STATUS_H
