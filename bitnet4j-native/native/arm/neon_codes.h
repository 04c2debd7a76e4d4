/* Decoding the stored weight layouts into NEON registers, shared by neon.cpp and neon_dotprod.cpp. Included
 * inside each file's anonymous namespace. */

/* I2_S: the 2-bit codes of group g of a 16-byte half (bits 7-2g..6-2g of each byte), as bytes 0..3. */
static inline int8x16_t codes(uint8x16_t raw, int g) {
    const uint8x16_t mask = vdupq_n_u8(3);
    switch (g) {  /* the shift must be an immediate */
        case 0: return vreinterpretq_s8_u8(vshrq_n_u8(raw, 6));
        case 1: return vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(raw, 4), mask));
        case 2: return vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(raw, 2), mask));
        default: return vreinterpretq_s8_u8(vandq_u8(raw, mask));
    }
}

/* Q4: the 32 nibbles of one 16-byte half of a group: low nibbles are elements 16h..16h+15 of the group, high
 * nibbles 32+16h..32+16h+15. Values 0..15 are valid signed bytes, so the signed multiplies (vmull_s8, SDOT)
 * take them. */
static inline void q4_unpack(const uint8_t *p, int8x16_t &lo, int8x16_t &hi) {
    const uint8x16_t raw = vld1q_u8(p);
    lo = vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0f)));
    hi = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));
}
