/* Scalar conversions between binary32 and the 16-bit storage formats, round to nearest even,
 * subnormals kept, NaN kept NaN (quiet), infinities kept. Portable; vector versions live with the
 * kernels that use them. */
#ifndef SINKBENCH_CONVERT_H
#define SINKBENCH_CONVERT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint16_t sb_f32_to_f16(float f);
float sb_f16_to_f32(uint16_t h);
uint16_t sb_f32_to_bf16(float f);
float sb_bf16_to_f32(uint16_t h);

/* Round a binary32 value through the 16-bit format and back. */
static inline float sb_round_f16(float f) { return sb_f16_to_f32(sb_f32_to_f16(f)); }
static inline float sb_round_bf16(float f) { return sb_bf16_to_f32(sb_f32_to_bf16(f)); }

#ifdef __cplusplus
}
#endif
#endif
