package io.sparkattention.kernel;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The sampling noise written from its specification (the class Javadoc of the kernel's {@code
 * GumbelNoise}), for the test references: 64-bit words as non-negative {@link BigInteger}s reduced
 * modulo 2^64, the uniform as an exact {@link BigDecimal} rounded once. It shares no code with the
 * kernel, so a change to the kernel's noise (which changes every {@code --sample} output) shows up
 * as a disagreement, and {@code GumbelNoiseTest} pins values of both.
 */
public final class ReferenceGumbelNoise {
  private static final BigInteger TWO_POW_64 = BigInteger.ONE.shiftLeft(64);
  private static final BigInteger GOLDEN = word("9E3779B97F4A7C15");
  private static final BigInteger KEY_FACTOR = word("D1B54A32D192ED03");
  private static final BigInteger MIX_1 = word("BF58476D1CE4E5B9");
  private static final BigInteger MIX_2 = word("94D049BB133111EB");
  private static final BigDecimal TWO_POW_53 = new BigDecimal(BigInteger.ONE.shiftLeft(53));

  private ReferenceGumbelNoise() {}

  /** The noise of (seed, query position, key position). */
  public static double sample(long seed, long qPos, long kPos) {
    BigInteger h1 = mix(word(seed).xor(GOLDEN));
    BigInteger h2 = mix(h1.xor(word(qPos)));
    BigInteger h3 = mix(h2.xor(word(kPos).multiply(KEY_FACTOR).mod(TWO_POW_64)));
    return -Math.log(-Math.log(uniform(h3)));
  }

  /** {@code (floor(h / 2^11) + 1/2) / 2^53}, rounded to the nearest double (ties to even). */
  static double uniform(BigInteger h) {
    BigDecimal top53 = new BigDecimal(h.shiftRight(11));
    return top53.add(new BigDecimal("0.5")).divide(TWO_POW_53).doubleValue();
  }

  /** SplitMix64's finaliser: three xor-shifts and two multiplications modulo 2^64. */
  static BigInteger mix(BigInteger z) {
    z = z.xor(z.shiftRight(30)).multiply(MIX_1).mod(TWO_POW_64);
    z = z.xor(z.shiftRight(27)).multiply(MIX_2).mod(TWO_POW_64);
    return z.xor(z.shiftRight(31));
  }

  /** A Java long as the 64-bit word it is (two's complement read as unsigned). */
  static BigInteger word(long v) {
    BigInteger b = BigInteger.valueOf(v);
    return b.signum() < 0 ? b.add(TWO_POW_64) : b;
  }

  private static BigInteger word(String hex) {
    return new BigInteger(hex, 16);
  }
}
