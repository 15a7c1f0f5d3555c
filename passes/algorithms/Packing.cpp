//===- Packing.cpp - sub-byte weight storage ------------------------------===//

#include "passes/algorithms/Packing.h"

#include <cassert>

using namespace quantc::algorithms;

std::vector<uint8_t> quantc::algorithms::packBits(const int8_t *values,
                                                  int64_t count,
                                                  unsigned bits) {
  assert(bits >= 1 && bits <= 8 && "1 to 8 bits per value");
  std::vector<uint8_t> out(packedBytes(count, bits), 0);
  uint32_t mask = (1u << bits) - 1;
  for (int64_t i = 0; i < count; ++i) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(values[i])) & mask;
    int64_t bit = i * bits;
    // A value spans at most two bytes (bits <= 8).
    uint32_t shifted = v << (bit % 8);
    out[bit / 8] |= static_cast<uint8_t>(shifted);
    if ((bit % 8) + bits > 8)
      out[bit / 8 + 1] |= static_cast<uint8_t>(shifted >> 8);
  }
  return out;
}

int8_t quantc::algorithms::unpackBits(const uint8_t *packed, int64_t index,
                                      unsigned bits) {
  int64_t bit = index * bits;
  uint32_t word = packed[bit / 8];
  if ((bit % 8) + bits > 8)
    word |= static_cast<uint32_t>(packed[bit / 8 + 1]) << 8;
  uint32_t v = (word >> (bit % 8)) & ((1u << bits) - 1);
  // Sign-extend from `bits` bits.
  int32_t sign = 1 << (bits - 1);
  return static_cast<int8_t>((static_cast<int32_t>(v) ^ sign) - sign);
}
