/* A model as a newer compiler might write it: a valid signature, allocator
   and entry point, and a microkernel table (quantc_ukernels) of a version
   this runtime does not know. RuntimeTest checks that loading it fails with
   a message saying so, instead of calling through slots it never filled. */
#include <stdint.h>
#include <stdlib.h>

const char quantc_signature[] =
    "quantc-signature 1\ninput x float 1 1\noutput y float 1 1\n";

void quantc_invoke(void **inputs, void *results) {
  (void)inputs;
  (void)results;
}

void *quantc_allocator[2] = {(void *)malloc, (void *)free};

struct {
  int64_t abi;
  void *slots[8];
} quantc_ukernels = {99, {0}};
