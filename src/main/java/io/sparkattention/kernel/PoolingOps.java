package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.Blocks;
import org.ejml.data.DMatrixRMaj;

/**
 * Attention pooling of Yang et al. (2016)'s hierarchical attention networks: {@code u_i = tanh(h_i
 * · W + b)}, {@code α = softmax(u_i · u_ctx)}, {@code s = Σ α_i h_i}. The pooled vector of a set of
 * rows is a one-row {@link PartialAttention}, so blocks of rows pool separately and merge.
 */
public final class PoolingOps {
  private PoolingOps() {}

  /**
   * The scores {@code u_i · u_ctx} of every row of {@code H}.
   *
   * @param H n×d rows to pool
   * @param W d×a
   * @param b length a, or null for zero
   * @param context {@code u_ctx}, length a
   */
  public static double[] scores(DMatrixRMaj H, DMatrixRMaj W, double[] b, double[] context) {
    if (H.numCols != W.numRows
        || W.numCols != context.length
        || (b != null && b.length != W.numCols)) {
      throw new IllegalArgumentException(
          "H is "
              + Blocks.shape(H)
              + ", W is "
              + Blocks.shape(W)
              + ", b has "
              + (b == null ? "no" : String.valueOf(b.length))
              + " entries, u has "
              + context.length
              + ": need H's width = W's rows and W's columns = b's and u's length");
    }
    Checks.requireFinite(H, "H");
    Checks.requireFinite(W, "W");
    Checks.requireFinite(context, "u");
    if (b != null) {
      Checks.requireFinite(b, "b");
    }
    DMatrixRMaj U = new DMatrixRMaj(H.numRows, W.numCols);
    MatrixEngine.defaultEngine().mult(H, W, U);
    final int a = W.numCols;
    double[] scores = new double[H.numRows];
    for (int i = 0; i < H.numRows; i++) {
      // score_i = tanh(h_i W + b) · u_ctx
      double s = 0;
      for (int j = 0; j < a; j++) {
        s += Math.tanh(U.data[i * a + j] + (b == null ? 0 : b[j])) * context[j];
      }
      scores[i] = s;
    }
    return scores;
  }

  /** The mergeable pooling state (one row, width d) of the rows of {@code H}. */
  public static PartialAttention partial(
      DMatrixRMaj H, DMatrixRMaj W, double[] b, double[] context) {
    return partial(H, scores(H, W, b, context));
  }

  /**
   * The mergeable pooling state of the rows of {@code H} given their {@link #scores}, so that a
   * caller who also needs the scores (e.g. for the weights {@code α_i = exp(s_i − m) / l} once all
   * parts are merged) computes them once: {@code m = max s_i}, {@code l = Σ exp(s_i − m)}, {@code a
   * = Σ exp(s_i − m) h_i}.
   *
   * @param H n×d rows to pool
   * @param scores length n
   */
  public static PartialAttention partial(DMatrixRMaj H, double[] scores) {
    if (scores.length != H.numRows) {
      throw new IllegalArgumentException(
          "H is " + Blocks.shape(H) + " but there are " + scores.length + " scores");
    }
    Checks.requireFinite(H, "H");
    Checks.requireFinite(scores, "scores");
    final int d = H.numCols;
    double m = Double.NEGATIVE_INFINITY;
    for (double s : scores) {
      m = Math.max(m, s);
    }
    double l = 0;
    DMatrixRMaj acc = new DMatrixRMaj(1, d);
    for (int i = 0; i < scores.length; i++) {
      // l += exp(s_i - m); a += exp(s_i - m) h_i
      double p = Math.exp(scores[i] - m);
      l += p;
      for (int c = 0; c < d; c++) {
        acc.data[c] += p * H.data[i * d + c];
      }
    }
    return PartialAttention.of(new double[] {m}, new double[] {l}, acc);
  }

  /** The pooled vector {@code Σ α_i h_i} (zeros for no rows). */
  public static double[] pool(DMatrixRMaj H, DMatrixRMaj W, double[] b, double[] context) {
    return partial(H, W, b, context).output().data.clone();
  }

  /** The pooling weights {@code α = softmax(scores)}; empty for no rows. */
  public static double[] weights(DMatrixRMaj H, DMatrixRMaj W, double[] b, double[] context) {
    double[] s = scores(H, W, b, context);
    double m = Double.NEGATIVE_INFINITY;
    for (double v : s) {
      m = Math.max(m, v);
    }
    double l = 0;
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.exp(s[i] - m);
      l += s[i];
    }
    for (int i = 0; i < s.length; i++) {
      s[i] /= l;
    }
    return s;
  }
}
