package io.sparkattention.spark.pooling;

import io.sparkattention.kernel.PoolingOps;
import java.io.Serializable;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * One level of attention pooling's weights ({@link PoolingOps}): {@code u_i = tanh(h_i·W + b)},
 * score {@code u_i·u}. Checked against each other when built; broadcast to executors (a plain
 * class, not a record: Kryo, which broadcasts it, cannot build records).
 */
public final class PoolingWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  private final DMatrixRMaj W;
  private final double[] b;
  private final double[] u;

  /**
   * @param W d×a
   * @param b length a, or null for zero
   * @param u the context vector, length a
   * @throws IllegalArgumentException if the lengths disagree
   */
  public PoolingWeights(DMatrixRMaj W, double[] b, double[] u) {
    if (W.numCols != u.length || (b != null && b.length != W.numCols)) {
      throw new IllegalArgumentException(
          "W is "
              + W.numRows
              + "×"
              + W.numCols
              + ", b has "
              + (b == null ? "no" : String.valueOf(b.length))
              + " entries, u has "
              + u.length
              + ": need W's columns = b's and u's length");
    }
    this.W = W.copy();
    this.b = b == null ? null : b.clone();
    this.u = u.clone();
  }

  /**
   * The default for width {@code d}: {@code W} the identity, {@code b = 0}, {@code u} all {@code
   * 1/√d}, so the score is {@code Σ_j tanh(h_j) / √d}: rows with larger entries weigh more, and the
   * scores stay of order one whatever d.
   */
  public static PoolingWeights defaults(int d) {
    double[] u = new double[d];
    Arrays.fill(u, 1 / Math.sqrt(d));
    DMatrixRMaj I = new DMatrixRMaj(d, d);
    for (int i = 0; i < d; i++) {
      I.set(i, i, 1.0);
    }
    return new PoolingWeights(I, null, u);
  }

  /** A copy of W (d×a). */
  public DMatrixRMaj W() {
    return W.copy();
  }

  /** A copy of b, or null for zero. */
  public double[] b() {
    return b == null ? null : b.clone();
  }

  /** A copy of the context vector u. */
  public double[] u() {
    return u.clone();
  }

  /** The scores {@code tanh(h_i·W + b)·u} of every row of {@code H}. */
  public double[] scores(DMatrixRMaj H) {
    return PoolingOps.scores(H, W, b, u);
  }
}
