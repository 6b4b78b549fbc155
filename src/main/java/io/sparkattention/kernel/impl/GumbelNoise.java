package io.sparkattention.kernel.impl;

/**
 * Standard Gumbel noise as a pure function of (seed, query position, key position), so that a
 * sampled choice does not depend on how keys were split across blocks or tasks.
 *
 * <p>The function is part of the output contract: {@code --sample --seed N} gives the same keys in
 * every release, so it must not change. Specification (64-bit words, arithmetic modulo 2^64, {@code
 * >>>} a logical shift, {@code ⊕} exclusive or):
 *
 * <pre>{@code
 * mix(z)  = SplitMix64's finaliser (Steele, Lea and Flood 2014):
 *           z ⊕= z >>> 30;  z ·= 0xBF58476D1CE4E5B9;
 *           z ⊕= z >>> 27;  z ·= 0x94D049BB133111EB;
 *           z ⊕= z >>> 31
 * h1      = mix(seed ⊕ 0x9E3779B97F4A7C15)
 * h2      = mix(h1 ⊕ qPos)
 * h3      = mix(h2 ⊕ (kPos · 0xD1B54A32D192ED03))
 * u       = (floor(h3 / 2^11) + 1/2) / 2^53        h3 read as unsigned, rounded to the
 *                                                   nearest double, ties to even
 * noise   = −ln(−ln u)                              Math.log, twice
 * }</pre>
 *
 * So {@code 0 < u <= 1}; u = 1 (noise +∞) only when the top 53 bits of h3 are all one, once in 2^53
 * keys. (Test sources implement this independently and pin values of it.)
 */
public final class GumbelNoise {
  private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

  private GumbelNoise() {}

  /** {@code -log(-log(u))} for {@code u} uniform in (0, 1), hashed from the three inputs. */
  public static double sample(long seed, long qPos, long kPos) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    h = mix(h ^ qPos);
    h = mix(h ^ (kPos * 0xD1B54A32D192ED03L));
    // u in (0, 1]: the top 53 bits, shifted by half a step so 0 never occurs (1 does, rounded
    // up from (2^53 - 1/2) / 2^53: see the class comment).
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
