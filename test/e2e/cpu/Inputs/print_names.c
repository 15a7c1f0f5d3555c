/* Prints each input's and output's name as the runtime reports it, in hex
   (one line each, inputs first), after checking it equals the NAMED_*_NAME
   macro of the generated header: names must survive the artifact's
   signature, the runtime and MODEL.h byte for byte. Exit 1 on a mismatch. */
#include "named.h"

#include <stdio.h>
#include <string.h>

static int check(const char *runtime, const char *header, const char *what) {
  for (const unsigned char *p = (const unsigned char *)runtime; *p; ++p)
    printf("%02x", *p);
  printf("\n");
  if (strcmp(runtime, header) != 0) {
    fprintf(stderr, "%s: the runtime's name differs from the header's\n", what);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  quantc_model *model = NULL;
  quantc_status *status = quantc_model_load(argv[argc - 1], &model);
  if (status) {
    fprintf(stderr, "%s\n", quantc_status_message(status));
    return 1;
  }
  if (quantc_model_num_inputs(model) != NAMED_NUM_INPUTS ||
      quantc_model_num_outputs(model) != NAMED_NUM_OUTPUTS)
    return 1;
  quantc_tensor_info info;
  int failed = 0;
  quantc_model_input_info(model, 0, &info);
  failed |= check(info.name, NAMED_INPUT0_NAME, "input 0");
  quantc_model_input_info(model, 1, &info);
  failed |= check(info.name, NAMED_INPUT1_NAME, "input 1");
  quantc_model_output_info(model, 0, &info);
  failed |= check(info.name, NAMED_OUTPUT0_NAME, "output 0");
  quantc_model_free(model);
  return failed;
}
