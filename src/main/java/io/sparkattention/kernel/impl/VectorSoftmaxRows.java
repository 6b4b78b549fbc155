package io.sparkattention.kernel.impl;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SoftmaxRows} on the JDK's Vector API (incubating in JDK 17; needs {@code
 * --add-modules=jdk.incubator.vector}). Loaded only through {@link SoftmaxRows#vectorOrNull()}, so
 * a JVM without the module never links this class.
 *
 * <p>Deterministic: every lane operation here is a correctly rounded IEEE operation (add, multiply,
 * fused multiply-add, min/max, bit shifts), which gives the same bits whether the JIT has compiled
 * it to vector instructions or the JDK's Java fallback runs it. The Vector API's own {@code EXP}
 * does not (compiled it is the JDK's SVML stub, otherwise {@code Math.exp}: they differ in the last
 * bit), and neither does a floating-point {@code reduceLanes(ADD)} (its order is unspecified), so
 * results would depend on how warm a JVM is: a retried task on a fresh executor would write other
 * bits. Hence {@link #exp} and a lane-by-lane sum.
 */
final class VectorSoftmaxRows extends SoftmaxRows {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;

  /** 1.5 · 2^52: adding it rounds a double of magnitude below 2^51 to an integer. */
  private static final double SHIFTER = 0x1.8p52;

  private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
  private static final double LOG2_E = 1.4426950408889634;
  // ln 2 split so that k · LN2_HI is exact for |k| < 2^11 (fdlibm's constants).
  private static final double LN2_HI = 6.93147180369123816490e-01;
  private static final double LN2_LO = 1.90821492927058770002e-10;

  /** exp below this is 0 (Math.exp(-745.2) is the smallest subnormal). */
  private static final double MIN_ARG = -746.0;

  /** exp above this overflows to +∞ (Math.exp(709.79) does). */
  private static final double MAX_ARG = 710.0;

  // 1/i!, i = 2 … 13: exp(r)'s Taylor polynomial; the truncation error is below 5e-18.
  private static final double C2 = 1 / 2.0;
  private static final double C3 = 1 / 6.0;
  private static final double C4 = 1 / 24.0;
  private static final double C5 = 1 / 120.0;
  private static final double C6 = 1 / 720.0;
  private static final double C7 = 1 / 5040.0;
  private static final double C8 = 1 / 40320.0;
  private static final double C9 = 1 / 362880.0;
  private static final double C10 = 1 / 3628800.0;
  private static final double C11 = 1 / 39916800.0;
  private static final double C12 = 1 / 479001600.0;
  private static final double C13 = 1 / 6227020800.0;

  private static DoubleVector broadcast(double v) {
    return DoubleVector.broadcast(SPECIES, v);
  }

  @Override
  public String name() {
    return "vector(" + SPECIES.vectorBitSize() + "-bit)";
  }

  @Override
  public double scaleAndMax(double[] s, int from, int to, double scale) {
    final int lanes = SPECIES.length();
    final int bound = from + SPECIES.loopBound(to - from);
    DoubleVector vmax = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
    int j = from;
    // s_j = s_j · scale; max = max_j s_j
    for (; j < bound; j += lanes) {
      DoubleVector v = DoubleVector.fromArray(SPECIES, s, j).mul(scale);
      v.intoArray(s, j);
      vmax = vmax.max(v);
    }
    // The tail, shorter than a vector, with plain loops. (A maximum is exact in any order.)
    return Math.max(
        vmax.reduceLanes(VectorOperators.MAX),
        ScalarSoftmaxRows.INSTANCE.scaleAndMax(s, j, to, scale));
  }

  @Override
  public double expAndSum(double[] s, int from, int to, double shift) {
    final int lanes = SPECIES.length();
    final int bound = from + SPECIES.loopBound(to - from);
    DoubleVector vsum = DoubleVector.zero(SPECIES);
    int j = from;
    // s_j = exp(s_j - shift); sum = Σ_j s_j
    for (; j < bound; j += lanes) {
      DoubleVector p = exp(DoubleVector.fromArray(SPECIES, s, j).sub(shift));
      p.intoArray(s, j);
      vsum = vsum.add(p);
    }
    // Lane by lane, in order: the same sum however the JIT reduces vectors.
    double sum = 0;
    for (int lane = 0; lane < lanes; lane++) {
      sum += vsum.lane(lane);
    }
    return sum + ScalarSoftmaxRows.INSTANCE.expAndSum(s, j, to, shift);
  }

  /**
   * exp of every lane, within a few ulp of {@code Math.exp}: {@code exp(x) = 2^k · exp(r)} with k =
   * round(x / ln 2) and r = x − k·ln 2 (|r| ≤ ln 2 / 2), exp(r) by its Taylor polynomial to degree
   * 13, 2^k applied as two powers of two so that subnormal results round once. NaN stays NaN, −∞
   * gives 0, +∞ gives +∞.
   */
  static DoubleVector exp(DoubleVector x) {
    DoubleVector xc = x.max(MIN_ARG).min(MAX_ARG);
    // t = x·log2(e) + 1.5·2^52, rounded once: k in the low bits of t
    DoubleVector t = xc.fma(broadcast(LOG2_E), broadcast(SHIFTER));
    DoubleVector k = t.sub(SHIFTER);
    // r = x − k·ln 2, in two steps (Cody and Waite)
    DoubleVector r = k.fma(broadcast(-LN2_HI), xc);
    r = k.fma(broadcast(-LN2_LO), r);
    // p = Σ_{i=0..13} r^i / i!  (Horner, unrolled)
    DoubleVector p =
        broadcast(C13)
            .fma(r, broadcast(C12))
            .fma(r, broadcast(C11))
            .fma(r, broadcast(C10))
            .fma(r, broadcast(C9))
            .fma(r, broadcast(C8))
            .fma(r, broadcast(C7))
            .fma(r, broadcast(C6))
            .fma(r, broadcast(C5))
            .fma(r, broadcast(C4))
            .fma(r, broadcast(C3))
            .fma(r, broadcast(C2))
            .fma(r, broadcast(1.0))
            .fma(r, broadcast(1.0));
    // 2^k = 2^k1 · 2^k2, each a normal double for -1076 <= k <= 1024
    LongVector ki = t.reinterpretAsLongs().sub(SHIFTER_BITS);
    LongVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
    LongVector k2 = ki.sub(k1);
    DoubleVector s1 = k1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    DoubleVector s2 = k2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    return p.mul(s1).mul(s2);
  }
}
