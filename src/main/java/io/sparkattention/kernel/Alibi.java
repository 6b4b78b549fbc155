package io.sparkattention.kernel;

/**
 * The head slopes of ALiBi (Press et al. 2022, "Train short, test long"), as BLOOM builds them for
 * any number of heads ({@code build_alibi_tensor} in Hugging Face's BLOOM): for the closest power
 * of two {@code p ≤ H}, slope h (1-based) is {@code 2^(−8h/p)}; when H is not a power of two, the
 * remaining {@code H − p} heads take the odd powers {@code 2^(−4·(2j−1)/p)}, j = 1 …, of the next
 * power's sequence. Head h's scores get {@code −slope_h · |q − k|}.
 */
public final class Alibi {
  private Alibi() {}

  /**
   * The slopes of {@code numHeads} heads, head 0 first.
   *
   * @throws IllegalArgumentException if {@code numHeads < 1}
   */
  public static double[] slopes(int numHeads) {
    if (numHeads < 1) {
      throw new IllegalArgumentException("number of heads must be >= 1, got " + numHeads);
    }
    int p = Integer.highestOneBit(numHeads);
    // base = 2^(−8/p); slopes base^1 … base^p
    double base = Math.pow(2.0, -8.0 / p);
    double[] slopes = new double[numHeads];
    for (int h = 0; h < p; h++) {
      slopes[h] = Math.pow(base, h + 1);
    }
    // extra_base = 2^(−8/(2p)); extra slopes extra_base^1, ^3, ^5, …
    double extraBase = Math.pow(2.0, -8.0 / (2 * p));
    for (int j = 0; p + j < numHeads; j++) {
      slopes[p + j] = Math.pow(extraBase, 2 * j + 1);
    }
    return slopes;
  }
}
