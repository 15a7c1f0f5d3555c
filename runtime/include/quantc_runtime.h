/*===- quantc_runtime.h - load and run quantc-compiled models -----*- C -*-===*\
|*                                                                            *|
|* The C API of quantc's runtime. A model compiled with                       *|
|*   quantc compile MODEL.onnx --target cpu -o MODEL.so                       *|
|* is loaded, inspected and run on buffers the caller owns:                   *|
|*                                                                            *|
|*   quantc_model *m;                                                         *|
|*   quantc_status *s = quantc_model_load("MODEL.so", &m);                    *|
|*   if (s) { puts(quantc_status_message(s)); quantc_status_free(s); }        *|
|*   quantc_tensor in = {QUANTC_DTYPE_FLOAT, 2, {1, 64}, data, bytes};        *|
|*   quantc_tensor out = {0};            (data NULL: the runtime allocates)   *|
|*   s = quantc_model_run(m, &in, 1, &out, 1);                                *|
|*   ... out.shape, out.data ...; quantc_buffer_free(out.data);               *|
|*   quantc_model_free(m);                                                    *|
|*                                                                            *|
|* Every function that can fail returns a status: NULL on success, otherwise *|
|* an object holding a message that the caller frees. The runtime never      *|
|* aborts or exits the host process. It has no MLIR or LLVM dependency.      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_H
#define QUANTC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most dimensions a quantc tensor has. */
#define QUANTC_MAX_RANK 16

/* Element types, named as ONNX names them. Booleans take one byte. */
typedef enum quantc_dtype {
  QUANTC_DTYPE_INVALID = 0,
  QUANTC_DTYPE_FLOAT = 1,
  QUANTC_DTYPE_UINT8 = 2,
  QUANTC_DTYPE_INT8 = 3,
  QUANTC_DTYPE_UINT16 = 4,
  QUANTC_DTYPE_INT16 = 5,
  QUANTC_DTYPE_INT32 = 6,
  QUANTC_DTYPE_INT64 = 7,
  QUANTC_DTYPE_BOOL = 9,
  QUANTC_DTYPE_FLOAT16 = 10,
  QUANTC_DTYPE_DOUBLE = 11,
  QUANTC_DTYPE_UINT32 = 12,
  QUANTC_DTYPE_UINT64 = 13,
  QUANTC_DTYPE_BFLOAT16 = 16
} quantc_dtype; /* values match onnx.TensorProto.DataType */

/* Bytes per element (0 for QUANTC_DTYPE_INVALID or an unknown value). */
size_t quantc_dtype_size(quantc_dtype dtype);
/* "float", "int64", ...; "invalid" for an unknown value. */
const char *quantc_dtype_name(quantc_dtype dtype);

/* ---- status ----------------------------------------------------------- */

typedef struct quantc_status quantc_status;
/* The message of a failed call; never NULL for a non-NULL status. */
const char *quantc_status_message(const quantc_status *status);
void quantc_status_free(quantc_status *status);

/* ---- models ----------------------------------------------------------- */

typedef struct quantc_model quantc_model;

/* Loads a compiled model. On failure *model is set to NULL. */
quantc_status *quantc_model_load(const char *path, quantc_model **model);
void quantc_model_free(quantc_model *model);

/* What the model declares for one input or output. `shape[d]` is -1 where
   the size is only known at run time. The strings and arrays live as long as
   the model. */
typedef struct quantc_tensor_info {
  const char *name;
  quantc_dtype dtype;
  size_t rank;
  const int64_t *shape;
} quantc_tensor_info;

size_t quantc_model_num_inputs(const quantc_model *model);
size_t quantc_model_num_outputs(const quantc_model *model);
quantc_status *quantc_model_input_info(const quantc_model *model, size_t index,
                                       quantc_tensor_info *info);
quantc_status *quantc_model_output_info(const quantc_model *model, size_t index,
                                        quantc_tensor_info *info);

/* Threads the model's parallel loops may use (>= 1). The default is the
   number of cores. Models compiled without threading ignore it. */
quantc_status *quantc_model_set_threads(quantc_model *model, int threads);

/* A dense, row-major tensor in caller memory. */
typedef struct quantc_tensor {
  quantc_dtype dtype;
  size_t rank;
  int64_t shape[QUANTC_MAX_RANK];
  void *data;
  size_t capacity_bytes; /* bytes available at `data` */
} quantc_tensor;

/* Runs the model. Inputs must match the declared dtypes, ranks and static
   sizes; their dynamic sizes are taken from `shape`. For each output the
   runtime writes dtype, rank and shape, and the data either into `data`
   (when non-NULL; `capacity_bytes` must suffice) or into a new buffer it
   stores in `data` and the caller releases with quantc_buffer_free. */
quantc_status *quantc_model_run(quantc_model *model,
                                const quantc_tensor *inputs, size_t num_inputs,
                                quantc_tensor *outputs, size_t num_outputs);

void quantc_buffer_free(void *data);

/* What the model's weights take: quantized matmul weights (codes, scales and
   zero points as stored) and float constants. All zero for a model compiled
   without this information. */
typedef struct quantc_weight_info {
  int64_t quantized_params, quantized_bytes;
  int64_t float_params, float_bytes;
} quantc_weight_info;

quantc_status *quantc_model_weight_info(const quantc_model *model,
                                        quantc_weight_info *info);

/* ---- targets ----------------------------------------------------------- */

/* "cpu" or "vulkan": where the model's kernels run. */
const char *quantc_model_target(const quantc_model *model);

/* The Vulkan device that models compiled with --target vulkan run on, as
   "'NAME' (TYPE)", opening it if needed (QUANTC_VULKAN_DEVICE picks one by
   index or by part of its name). The string lives as long as the process.
   A status says why there is none (no loader, no device, ...). */
quantc_status *quantc_vulkan_device(const char **description);

/* Optional SPIR-V capabilities of that device, as bits: Int8 1,
   StorageBuffer8BitAccess 2, Int16 4, Float16 8, Int64 16,
   StorageBuffer16BitAccess 32, Float64 64 (what `quantc compile --target
   vulkan` tailors kernels to when it runs where they will run). */
quantc_status *quantc_vulkan_device_capabilities(uint32_t *bits);

/* ---- calibration ------------------------------------------------------ */

/* Models compiled for calibration (`quantc calibrate` builds them) report
   every observed f32 tensor while they run. The names live as long as the
   model; other models have no observers. */
size_t quantc_model_num_observers(const quantc_model *model);
const char *quantc_model_observer_name(const quantc_model *model,
                                       size_t index);

/* Called during quantc_model_run, on the calling thread, once per observed
   tensor: element (i0, ..., in-1) is at data[sum of i_d * strides[d]]. */
typedef void (*quantc_observer_fn)(void *user, size_t observer,
                                   const float *data, size_t rank,
                                   const int64_t *shape,
                                   const int64_t *strides);

/* Installs `fn` (NULL removes it). Fails for a model without observers. */
quantc_status *quantc_model_set_observer(quantc_model *model,
                                         quantc_observer_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_H */
