package io.sparkattention.kernel;

import java.util.Locale;

/**
 * The arithmetic of the soft-attention block products. {@link #FP64} computes everything in double
 * precision. {@link #FP32} computes a block's two products, the scores {@code Q·Kᵀ} and the
 * weighted values {@code P·V}, in single precision (netlib {@code sgemm} or EJML's float matrices),
 * on {@code Q, K, V} rounded to float once per block; the row max, the exponentials, the
 * normaliser, the accumulated output and every merge of partial states stay in double, so the error
 * does not grow with the number of key blocks merged. Hard attention (an argmax) always computes in
 * double.
 *
 * <p>Error of {@link #FP32} per output element of row i, against exact arithmetic, for a key block
 * of {@code nk} keys of width {@code d} and score scale {@code c} (u = 2⁻²⁴, γ_n = nu/(1 − nu)):
 * {@code |ô − o| ≤ (e^{2E} − 1 + 2u + γ_nk) · max_j |v_j|}, with {@code E = c · γ_{d+2} · |q_i| ·
 * max_j |k_j|} (the derivation is in the Javadoc of {@code Fp32KernelTest}).
 */
public enum Precision {
  /** Double precision throughout (the default). */
  FP64,
  /** Single-precision block products, double-precision softmax state and merges. */
  FP32;

  /** The option value: {@code fp64} or {@code fp32}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Bytes of one value of a matrix in this precision: 8 or 4. */
  public int bytesPerValue() {
    return this == FP32 ? Float.BYTES : Double.BYTES;
  }

  /**
   * The precision named {@code value} ({@code fp64} or {@code fp32}, any case).
   *
   * @throws IllegalArgumentException naming the value and the allowed ones if it is neither
   */
  public static Precision of(String value) {
    for (Precision p : values()) {
      if (p.optionValue().equalsIgnoreCase(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + value + "' (allowed: fp64, fp32)");
  }
}
