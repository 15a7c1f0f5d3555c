/* Runs a model whose run-time check fails after it has allocated
   intermediate buffers, many times, and prints the growth of the process's
   peak resident memory: a failed run must free what the generated code
   allocated (each run's buffers then come back from the allocator's
   cache), not leak it.
   usage: failed_runs MODEL.so ROWS K1 K2 RUNS  (inputs a [ROWS, K1] and
   b [K2, 3] of the model make_relu_matmul.py writes) */
#include "quantc_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static long peakKb(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int main(int argc, char **argv) {
  if (argc != 6)
    return 2;
  int64_t rows = atoll(argv[2]), k1 = atoll(argv[3]), k2 = atoll(argv[4]);
  int runs = atoi(argv[5]);
  quantc_model *model = NULL;
  quantc_status *status = quantc_model_load(argv[1], &model);
  if (status) {
    fprintf(stderr, "%s\n", quantc_status_message(status));
    return 1;
  }
  float *a = calloc((size_t)(rows * k1), sizeof(float));
  float *b = calloc((size_t)(k2 * 3), sizeof(float));
  quantc_tensor inputs[2] = {
      {QUANTC_DTYPE_FLOAT, 2, {rows, k1}, a, sizeof(float) * rows * k1},
      {QUANTC_DTYPE_FLOAT, 2, {k2, 3}, b, sizeof(float) * k2 * 3}};
  long before = 0;
  int failed = 0;
  for (int i = 0; i < runs; ++i) {
    quantc_tensor output = {0};
    status = quantc_model_run(model, inputs, 2, &output, 1);
    if (status) {
      ++failed;
      if (i == 0)
        printf("%s\n", quantc_status_message(status));
      quantc_status_free(status);
    } else {
      quantc_buffer_free(output.data);
    }
    if (i == 0)
      before = peakKb();
  }
  printf("failed %d of %d runs; peak resident memory grew %ld MiB\n", failed,
         runs, (peakKb() - before) / 1024);
  quantc_model_free(model);
  free(a);
  free(b);
  return 0;
}
