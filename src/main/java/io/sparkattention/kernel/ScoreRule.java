package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Objects;

/**
 * How one head turns a query–key dot product into the score its softmax (or argmax) sees:
 *
 * <pre>
 *   s_ij = scale · q_i·k_j                       (scale: 1/√d_head unless set)
 *   s_ij = C · tanh(s_ij / C)                    (with a softcap C &gt; 0: Gemma 2)
 *   s_ij = s_ij − m · |pos(q_i) − pos(k_j)|      (with an ALiBi slope m &gt; 0: Press et al. 2022)
 * </pre>
 *
 * and then the mask. Every step is a function of one (query, key) pair and the two positions, so
 * the states of any split of the keys still merge exactly ({@link MergeableState}). {@link
 * #standard()} is the plain {@code q·k/√d}, computed by the same instructions as before these
 * options existed (the same bits).
 *
 * <p>Immutable and serializable.
 */
public final class ScoreRule implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ScoreRule STANDARD = new ScoreRule(Double.NaN, 0.0, 0.0);

  private final double scale;
  private final double softcap;
  private final double alibiSlope;

  private ScoreRule(double scale, double softcap, double alibiSlope) {
    this.scale = scale;
    this.softcap = softcap;
    this.alibiSlope = alibiSlope;
  }

  /** {@code q·k/√d_head}: no softcap, no bias. */
  public static ScoreRule standard() {
    return STANDARD;
  }

  /**
   * A rule.
   *
   * @param scale the score scale, finite and &gt; 0, or NaN for {@code 1/√d_head}
   * @param softcap the cap C &gt; 0, or 0 for none
   * @param alibiSlope the ALiBi slope m &gt; 0, or 0 for none
   * @throws IllegalArgumentException for a value out of range
   */
  public static ScoreRule of(double scale, double softcap, double alibiSlope) {
    if (!Double.isNaN(scale) && !(scale > 0 && Double.isFinite(scale))) {
      throw new IllegalArgumentException("scale must be finite and > 0, got " + scale);
    }
    if (!(softcap >= 0 && Double.isFinite(softcap))) {
      throw new IllegalArgumentException("softcap must be finite and >= 0, got " + softcap);
    }
    if (!(alibiSlope >= 0 && Double.isFinite(alibiSlope))) {
      throw new IllegalArgumentException("ALiBi slope must be finite and >= 0, got " + alibiSlope);
    }
    if (Double.isNaN(scale) && softcap == 0 && alibiSlope == 0) {
      return STANDARD;
    }
    return new ScoreRule(scale, softcap, alibiSlope);
  }

  /** The scale for heads of width {@code dHead}: the one set, else {@code 1/√dHead}. */
  public double scale(int dHead) {
    return Double.isNaN(scale) ? 1.0 / Math.sqrt(dHead) : scale;
  }

  /** The softcap C, or 0 for none. */
  public double softcap() {
    return softcap;
  }

  /** The ALiBi slope, or 0 for none. */
  public double alibiSlope() {
    return alibiSlope;
  }

  /** Whether scores are only scaled (no softcap, no bias). */
  public boolean isScaleOnly() {
    return softcap == 0 && alibiSlope == 0;
  }

  /**
   * The score of a scaled dot product {@code s} for a query at {@code qPos} and a key at {@code
   * kPos}: softcap, then the ALiBi bias. Plain arithmetic and {@link StrictMath#tanh}, so the same
   * bits on every JVM.
   */
  public double transform(double s, long qPos, long kPos) {
    double v = s;
    if (softcap != 0) {
      v = softcap * StrictMath.tanh(v / softcap);
    }
    if (alibiSlope != 0) {
      v -= alibiSlope * Math.abs(qPos - kPos);
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ScoreRule)) {
      return false;
    }
    ScoreRule r = (ScoreRule) o;
    return Double.compare(scale, r.scale) == 0
        && Double.compare(softcap, r.softcap) == 0
        && Double.compare(alibiSlope, r.alibiSlope) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(scale, softcap, alibiSlope);
  }

  @Override
  public String toString() {
    return "ScoreRule[scale="
        + (Double.isNaN(scale) ? "1/sqrt(d)" : Double.toString(scale))
        + (softcap != 0 ? ", softcap=" + softcap : "")
        + (alibiSlope != 0 ? ", alibiSlope=" + alibiSlope : "")
        + "]";
  }
}
