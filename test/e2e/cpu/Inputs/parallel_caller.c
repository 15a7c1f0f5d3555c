/* Runs a model from inside the caller's own OpenMP parallel region, with
   inputs that fail one of its run-time checks: each run must return that
   status (the check stands outside the model's own parallel loops), not
   stop the process.
   usage: parallel_caller MODEL.so  (the model make_relu_matmul.py writes) */
#include "quantc_runtime.h"

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  quantc_model *model = NULL;
  quantc_status *status = quantc_model_load(argv[1], &model);
  if (status) {
    fprintf(stderr, "%s\n", quantc_status_message(status));
    return 1;
  }
  int failed = 0;
#pragma omp parallel num_threads(2) reduction(+ : failed)
  {
    float a[2 * 4] = {0}, b[5 * 3] = {0};
    quantc_tensor inputs[2] = {
        {QUANTC_DTYPE_FLOAT, 2, {2, 4}, a, sizeof a},
        {QUANTC_DTYPE_FLOAT, 2, {5, 3}, b, sizeof b}}; /* K 4 against 5 */
    quantc_tensor output = {0};
    quantc_status *s = quantc_model_run(model, inputs, 2, &output, 1);
    if (s) {
      ++failed;
      quantc_status_free(s);
    } else {
      quantc_buffer_free(output.data);
    }
  }
  printf("%d runs in the caller's parallel region failed with a status\n",
         failed);
  quantc_model_free(model);
  return 0;
}
