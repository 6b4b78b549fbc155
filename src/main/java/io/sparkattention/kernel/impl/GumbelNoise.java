package io.sparkattention.kernel.impl;

/**
 * Standard Gumbel noise as a pure function of (seed, query position, key position), so that a
 * sampled choice does not depend on how keys were split across blocks or tasks.
 */
public final class GumbelNoise {
  private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

  private GumbelNoise() {}

  /** {@code -log(-log(u))} for {@code u} uniform in (0, 1), hashed from the three inputs. */
  public static double sample(long seed, long qPos, long kPos) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    h = mix(h ^ qPos);
    h = mix(h ^ (kPos * 0xD1B54A32D192ED03L));
    // u in (0, 1): the top 53 bits, shifted by half a step so neither 0 nor 1 occurs.
    double u = ((h >>> 11) + 0.5) * TWO_POW_MINUS_53;
    return -Math.log(-Math.log(u));
  }

  /** SplitMix64's finaliser (Steele, Lea and Flood 2014). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
