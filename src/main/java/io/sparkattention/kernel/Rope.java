package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;
import org.ejml.data.DMatrixRMaj;

/**
 * Rotary position embedding (Su et al. 2021), applied to one head's projected queries or keys: the
 * head's d columns form d/2 pairs, pair i rotated by the angle {@code pos · θ^(−2i/d)}.
 *
 * <ul>
 *   <li>{@link Style#HALF} (Llama, Mistral, Qwen, GPT-NeoX): pair i is columns (i, i + d/2), so
 *       {@code x' = x·cos + rotate_half(x)·sin} with {@code rotate_half(x) = (−x₂, x₁)} over the
 *       two halves;
 *   <li>{@link Style#INTERLEAVED} (GPT-J): pair i is columns (2i, 2i + 1).
 * </ul>
 *
 * Each pair {@code (a, b)} becomes {@code (a·cos − b·sin, b·cos + a·sin)}. The angles use {@link
 * StrictMath}, so a token's rotation has the same bits on every JVM. Immutable and serializable.
 */
public final class Rope implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The base θ of Llama and most models since. */
  public static final double DEFAULT_THETA = 10000.0;

  /** Which columns of a head form the rotated pairs. */
  public enum Style {
    /** Pair i is columns (i, i + d/2): Llama, Mistral, GPT-NeoX. */
    HALF,
    /** Pair i is columns (2i, 2i + 1): GPT-J. */
    INTERLEAVED;

    /** Parses {@code half} or {@code interleaved}, case-insensitive. */
    public static Style parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown RoPE style '" + name + "' (valid: half, interleaved)", e);
      }
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Style style;
  private final double theta;

  private Rope(Style style, double theta) {
    this.style = style;
    this.theta = theta;
  }

  /**
   * A rotary embedding.
   *
   * @param theta the base, finite and &gt; 1
   * @throws IllegalArgumentException for a null style or a base out of range
   */
  public static Rope of(Style style, double theta) {
    if (style == null) {
      throw new IllegalArgumentException("RoPE style is required (half or interleaved)");
    }
    if (!(theta > 1 && Double.isFinite(theta))) {
      throw new IllegalArgumentException("RoPE theta must be finite and > 1, got " + theta);
    }
    return new Rope(style, theta);
  }

  /** The pairing of columns. */
  public Style style() {
    return style;
  }

  /** The base θ. */
  public double theta() {
    return theta;
  }

  /**
   * Throws unless heads of width {@code dHead} can be rotated (an even width).
   *
   * @throws IllegalArgumentException for an odd width
   */
  public static void checkHeadWidth(int dHead) {
    if (dHead % 2 != 0) {
      throw new IllegalArgumentException(
          "RoPE rotates pairs of columns: the head width must be even, got " + dHead);
    }
  }

  /**
   * Rotates every row of {@code H} (one head's columns, width d even) in place, row r at position
   * {@code pos0 + r}.
   *
   * @param H rows×d (modified)
   */
  public void rotate(DMatrixRMaj H, long pos0) {
    checkHeadWidth(H.numCols);
    double[] cos = new double[H.numCols / 2];
    double[] sin = new double[H.numCols / 2];
    for (int r = 0; r < H.numRows; r++) {
      rotateRow(H.data, r * H.numCols, H.numCols, pos0 + r, cos, sin);
    }
  }

  /** Rotates row r of {@code H} in place at position {@code positions[r]} (gathered rows). */
  public void rotate(DMatrixRMaj H, long[] positions) {
    checkHeadWidth(H.numCols);
    double[] cos = new double[H.numCols / 2];
    double[] sin = new double[H.numCols / 2];
    for (int r = 0; r < H.numRows; r++) {
      rotateRow(H.data, r * H.numCols, H.numCols, positions[r], cos, sin);
    }
  }

  /**
   * Rotates one row {@code x[off … off+d-1]} at position {@code pos} in place.
   *
   * @param cos scratch of length ≥ d/2 (overwritten)
   * @param sin scratch of length ≥ d/2 (overwritten)
   */
  void rotateRow(double[] x, int off, int d, long pos, double[] cos, double[] sin) {
    final int half = d / 2;
    for (int i = 0; i < half; i++) {
      // angle_i = pos · θ^(−2i/d)
      double angle = pos * StrictMath.pow(theta, -2.0 * i / d);
      cos[i] = StrictMath.cos(angle);
      sin[i] = StrictMath.sin(angle);
    }
    for (int i = 0; i < half; i++) {
      // (a, b) -> (a·cos − b·sin, b·cos + a·sin)
      int ia = style == Style.HALF ? off + i : off + 2 * i;
      int ib = style == Style.HALF ? off + i + half : off + 2 * i + 1;
      double a = x[ia];
      double b = x[ib];
      x[ia] = a * cos[i] - b * sin[i];
      x[ib] = b * cos[i] + a * sin[i];
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rope
        && ((Rope) o).style == style
        && Double.compare(((Rope) o).theta, theta) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(style, theta);
  }

  @Override
  public String toString() {
    return "rope(" + style + ", theta=" + theta + ")";
  }
}
