/* Runs the add model (sum = x + y, float [?, 3]) through an installed
   quantc runtime: consumer MODEL.so */

#include <quantc_runtime.h>

#include <stdio.h>

static int fail(const char *what, quantc_status *s) {
  fprintf(stderr, "%s: %s (code %d)\n", what, quantc_status_message(s),
          (int)quantc_status_get_code(s));
  quantc_status_free(s);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer MODEL.so\n");
    return 2;
  }
  int version = quantc_runtime_version();
  if (version != QUANTC_RUNTIME_VERSION) {
    fprintf(stderr, "header %d, library %d\n", QUANTC_RUNTIME_VERSION, version);
    return 1;
  }
  printf("quantc runtime %d.%d.%d\n", version / 10000, version / 100 % 100,
         version % 100);

  quantc_model *model;
  quantc_status *s = quantc_model_load(argv[1], &model);
  if (s)
    return fail("load", s);
  printf("target %s, %zu inputs, %zu outputs\n", quantc_model_target(model),
         quantc_model_num_inputs(model), quantc_model_num_outputs(model));

  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {10, 20, 30, 40, 50, 60};
  quantc_tensor in[2] = {
      {QUANTC_DTYPE_FLOAT, 2, {2, 3}, x, sizeof x},
      {QUANTC_DTYPE_FLOAT, 2, {2, 3}, y, sizeof y},
  };
  quantc_tensor out = {QUANTC_DTYPE_INVALID, 0, {0}, NULL, 0};
  s = quantc_model_run(model, in, 2, &out, 1);
  if (s) {
    quantc_model_free(model);
    return fail("run", s);
  }
  printf("sum [%lld, %lld]:", (long long)out.shape[0], (long long)out.shape[1]);
  for (int i = 0; i < 6; ++i)
    printf(" %g", ((const float *)out.data)[i]);
  printf("\n");
  quantc_buffer_free(out.data);

  /* A misuse reports its kind. */
  in[1].dtype = QUANTC_DTYPE_INT32;
  out.data = NULL;
  s = quantc_model_run(model, in, 2, &out, 1);
  printf("int32 input: code %d%s\n", (int)quantc_status_get_code(s),
         quantc_status_get_code(s) == QUANTC_DTYPE_MISMATCH
             ? " (dtype mismatch)"
             : "");
  quantc_status_free(s);
  quantc_model_free(model);
  return 0;
}
