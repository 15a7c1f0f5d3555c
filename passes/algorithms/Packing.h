//===- Packing.h - sub-byte weight storage ----------------------*- C++ -*-===//
//
// b-bit signed values (b = 2, 3, 4, 8) stored as a little-endian bit
// stream: value i occupies bits [i*b, (i+1)*b) of the buffer, two's
// complement. For 4 bits that is two values per byte, the first in the low
// nibble; 3-bit values straddle bytes (8 values in 3 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_PACKING_H
#define QUANTC_PASSES_ALGORITHMS_PACKING_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

/// Bytes that `count` values of `bits` bits take.
inline int64_t packedBytes(int64_t count, unsigned bits) {
  return (count * bits + 7) / 8;
}

/// Packs values that fit in `bits` bits (signed).
std::vector<uint8_t> packBits(const int8_t *values, int64_t count,
                              unsigned bits);

/// Value `index` of a packed buffer, sign-extended.
int8_t unpackBits(const uint8_t *packed, int64_t index, unsigned bits);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_PACKING_H
