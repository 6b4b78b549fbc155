package io.sparkattention.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkattention.fixtures.ReferenceGumbelNoise;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The sampling noise is part of the output contract ({@code --sample --seed N} picks the same keys
 * in every release), so its values are pinned here, and the kernel's {@link GumbelNoise} is checked
 * against {@link ReferenceGumbelNoise}, written from the specification in its Javadoc.
 *
 * <p>The pinned values were computed a third way, in Python (integers modulo 2^64, glibc's {@code
 * log}), and agree bit for bit with both Java implementations here. They are compared within two
 * ulps of max(1, |noise|), since {@code Math.log} may differ by an ulp on another platform; a
 * change to the hash moves the noise by about 1. The random cross-check is bitwise.
 *
 * <p>Seen to fail (Nov 2026): with the key factor 0xD1B54A32D192ED03 changed to 0xD1B54A32D192ED05
 * in {@code GumbelNoise}, 11 of these 13 tests (all but the pinned rows with key position 0) and 25
 * of {@code HardAttentionTest}'s 108, whose reference now takes its noise from {@link
 * ReferenceGumbelNoise}; with the half step dropped from the uniform ({@code + 0.5} removed, a
 * change of a few ulps), the five bitwise cross-checks and four pinned rows, both ends among them.
 */
class GumbelNoiseTest {

  @ParameterizedTest(name = "seed {0}, q {1}, k {2}")
  @CsvSource({
    // seed, qPos, kPos, noise
    "0, 0, 0, -0.4662735186548661",
    "0, 0, 1, -0.6180981538208234",
    "0, 1, 0, -0.2619285855830144",
    "42, 7, 1000, 0.8252464874723989",
    "-1, 123456789, 987654321, 2.0843054889147123",
    // head 1's seed for --seed 0 (seed ^ 1 · 0x9E3779B97F4A7C15)
    "-7046029254386353131, 3, 5, -1.4037405113329753",
    // The two ends, found by inverting the hash (mix is a bijection): the top 53 bits of h3 all
    // zero give u = 2^-54 and noise -ln(54 ln 2) = -3.6225; all one give (2^53 - 1/2) / 2^53,
    // which rounds (ties to even) to u = 1 exactly: noise +∞, once in 2^53 keys. A quirk, but
    // changing it would change the function.
    "0, 0, -8058577777627433323, -3.62247112598261",
    "0, 0, -3279241278858673451, Infinity"
  })
  void pinnedValues(long seed, long qPos, long kPos, double noise) {
    double tol = Double.isInfinite(noise) ? 0 : 2 * Math.ulp(Math.max(1, Math.abs(noise)));
    assertEquals(noise, GumbelNoise.sample(seed, qPos, kPos), tol, "kernel");
    assertEquals(noise, ReferenceGumbelNoise.sample(seed, qPos, kPos), tol, "reference");
  }

  @ParameterizedTest(name = "seed {0}")
  @CsvSource({"0", "1", "-1", "9223372036854775807", "20261127"})
  void kernelEqualsTheSpecificationBitForBit(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 2000; i++) {
      // Small positions (as in real sequences) and arbitrary 64-bit ones.
      long q = i % 2 == 0 ? rnd.nextInt(100_000) : rnd.nextLong();
      long k = i % 3 == 0 ? rnd.nextInt(100_000) : rnd.nextLong();
      double expected = ReferenceGumbelNoise.sample(seed, q, k);
      assertEquals(
          Double.doubleToRawLongBits(expected),
          Double.doubleToRawLongBits(GumbelNoise.sample(seed, q, k)),
          "seed " + seed + ", q " + q + ", k " + k + ": " + expected);
    }
  }
}
