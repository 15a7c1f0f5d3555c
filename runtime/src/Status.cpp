//===- Status.cpp - the runtime's status objects and dtypes ---------------===//

#include "runtime/src/Status.h"

#include <cstdlib>
#include <cstring>

// A status and its message live in one malloc'ed block; the out-of-memory
// status is a constant that needs no allocation.
struct quantc_status {
  quantc_status_code code;
  const char *message;
};

namespace {
quantc_status kOutOfMemory = {QUANTC_OUT_OF_MEMORY, "out of memory"};
} // namespace

quantc_status *quantc::outOfMemory() noexcept { return &kOutOfMemory; }

quantc_status *quantc::makeStatus(quantc_status_code code,
                                  const std::string &message) noexcept {
  if (code == QUANTC_OUT_OF_MEMORY && message.empty())
    return outOfMemory();
  void *block = std::malloc(sizeof(quantc_status) + message.size() + 1);
  if (!block)
    return outOfMemory();
  auto *status = static_cast<quantc_status *>(block);
  char *text = static_cast<char *>(block) + sizeof(quantc_status);
  std::memcpy(text, message.c_str(), message.size() + 1);
  status->code = code == QUANTC_OK ? QUANTC_INTERNAL : code;
  status->message = text;
  return status;
}

extern "C" {

int quantc_runtime_version(void) { return QUANTC_RUNTIME_VERSION; }

quantc_status_code quantc_status_get_code(const quantc_status *status) {
  return status ? status->code : QUANTC_OK;
}

const char *quantc_status_message(const quantc_status *status) {
  return status ? status->message : "ok";
}

void quantc_status_free(quantc_status *status) {
  if (status != &kOutOfMemory)
    std::free(status);
}

/// A C caller may pass any int as a quantc_dtype; in C++ only the enum's
/// values may be loaded as one (UndefinedBehaviorSanitizer's enum check).
/// The bytes are read as an int instead, and only known values go on.
static quantc_dtype knownDtype(const quantc_dtype &dtype) {
  int value;
  std::memcpy(&value, &dtype, sizeof value);
  return value >= QUANTC_DTYPE_INVALID && value <= QUANTC_DTYPE_BFLOAT16
             ? static_cast<quantc_dtype>(value)
             : QUANTC_DTYPE_INVALID;
}

size_t quantc_dtype_size(quantc_dtype dtype) {
  switch (knownDtype(dtype)) {
  case QUANTC_DTYPE_BOOL:
  case QUANTC_DTYPE_INT8:
  case QUANTC_DTYPE_UINT8:
    return 1;
  case QUANTC_DTYPE_INT16:
  case QUANTC_DTYPE_UINT16:
  case QUANTC_DTYPE_FLOAT16:
  case QUANTC_DTYPE_BFLOAT16:
    return 2;
  case QUANTC_DTYPE_INT32:
  case QUANTC_DTYPE_UINT32:
  case QUANTC_DTYPE_FLOAT:
    return 4;
  case QUANTC_DTYPE_INT64:
  case QUANTC_DTYPE_UINT64:
  case QUANTC_DTYPE_DOUBLE:
    return 8;
  case QUANTC_DTYPE_INVALID:
    break;
  }
  return 0;
}

const char *quantc_dtype_name(quantc_dtype dtype) {
  switch (knownDtype(dtype)) {
  case QUANTC_DTYPE_FLOAT:
    return "float";
  case QUANTC_DTYPE_UINT8:
    return "uint8";
  case QUANTC_DTYPE_INT8:
    return "int8";
  case QUANTC_DTYPE_UINT16:
    return "uint16";
  case QUANTC_DTYPE_INT16:
    return "int16";
  case QUANTC_DTYPE_INT32:
    return "int32";
  case QUANTC_DTYPE_INT64:
    return "int64";
  case QUANTC_DTYPE_BOOL:
    return "bool";
  case QUANTC_DTYPE_FLOAT16:
    return "float16";
  case QUANTC_DTYPE_DOUBLE:
    return "double";
  case QUANTC_DTYPE_UINT32:
    return "uint32";
  case QUANTC_DTYPE_UINT64:
    return "uint64";
  case QUANTC_DTYPE_BFLOAT16:
    return "bfloat16";
  case QUANTC_DTYPE_INVALID:
    break;
  }
  return "invalid";
}

} // extern "C"
