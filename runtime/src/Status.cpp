//===- Status.cpp - the runtime's status objects and dtypes ---------------===//

#include "runtime/src/Status.h"

#include <new>

struct quantc_status {
  std::string message;
};

quantc_status *quantc::makeStatus(std::string message) {
  return new (std::nothrow) quantc_status{std::move(message)};
}

extern "C" {

const char *quantc_status_message(const quantc_status *status) {
  return status ? status->message.c_str() : "ok";
}

void quantc_status_free(quantc_status *status) { delete status; }

size_t quantc_dtype_size(quantc_dtype dtype) {
  switch (dtype) {
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
  switch (dtype) {
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
