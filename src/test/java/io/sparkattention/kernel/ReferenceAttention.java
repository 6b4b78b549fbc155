package io.sparkattention.kernel;

import io.sparkattention.fixtures.ReferenceGumbelNoise;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * The naive oracle the kernel is checked against: plain loops over {@code double[][]}, written
 * straight from the formulas, sharing no code with the kernel (no EJML arithmetic, no {@link Mask}
 * logic, no {@link PartialAttention}). Slow on purpose: every query row is softmaxed over all its
 * allowed keys at once, with the row max subtracted.
 *
 * <p>{@link #hardSampled} takes its noise from {@link ReferenceGumbelNoise}, written from the
 * specification of the kernel's noise (the noise is defined as a function of seed, query position
 * and key position); the argmax over score plus noise is computed here.
 */
final class ReferenceAttention {
  private ReferenceAttention() {}

  /** Which keys a query may see, written from the mask definitions (not via {@link Mask}). */
  interface Allowed {
    boolean test(long q, long k);
  }

  /** A named reference mask, paired with the kernel mask it should agree with. */
  static final class RefMask {
    final String name;
    final Mask kernel;
    final Allowed allowed;

    RefMask(String name, Mask kernel, Allowed allowed) {
      this.name = name;
      this.kernel = kernel;
      this.allowed = allowed;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static RefMask none() {
    return new RefMask("none", Mask.none(), (q, k) -> true);
  }

  static RefMask causal() {
    return new RefMask("causal", Mask.causal(), (q, k) -> k <= q);
  }

  static RefMask window(int w) {
    return new RefMask("window(" + w + ")", Mask.window(w), (q, k) -> Math.abs(q - k) <= w);
  }

  static RefMask causalWindow(int w) {
    return new RefMask(
        "causalWindow(" + w + ")", Mask.causalWindow(w), (q, k) -> k <= q && k >= q - w);
  }

  /** Every mask kind, windows 0, 1, 3 and 50. */
  static RefMask[] allMasks() {
    return new RefMask[] {
      none(),
      causal(),
      window(0),
      window(1),
      window(3),
      window(50),
      causalWindow(0),
      causalWindow(1),
      causalWindow(3),
      causalWindow(50)
    };
  }

  // ---------------------------------------------------------------- soft attention

  /** {@code q·k / sqrt(d)}. */
  static double score(double[] q, double[] k) {
    double dot = 0;
    for (int c = 0; c < q.length; c++) {
      dot += q[c] * k[c];
    }
    return dot / Math.sqrt(q.length);
  }

  /** Softmax attention, queries at {@code qPos0 …}, keys at {@code kPos0 …}; masked rows zero. */
  static double[][] attention(
      double[][] Q, long qPos0, double[][] K, double[][] V, long kPos0, int dv, Allowed mask) {
    double[][] W = weights(Q, qPos0, K, kPos0, mask);
    return times(W, V, dv);
  }

  /** The m×n softmax weights; rows with no allowed key are zeros. */
  static double[][] weights(double[][] Q, long qPos0, double[][] K, long kPos0, Allowed mask) {
    int m = Q.length;
    int n = K.length;
    double[][] W = new double[m][n];
    for (int i = 0; i < m; i++) {
      double[] s = new double[n];
      double max = Double.NEGATIVE_INFINITY;
      boolean any = false;
      for (int j = 0; j < n; j++) {
        if (mask.test(qPos0 + i, kPos0 + j)) {
          s[j] = score(Q[i], K[j]);
          max = Math.max(max, s[j]);
          any = true;
        }
      }
      if (!any) {
        continue;
      }
      double total = 0;
      for (int j = 0; j < n; j++) {
        if (mask.test(qPos0 + i, kPos0 + j)) {
          W[i][j] = Math.exp(s[j] - max);
          total += W[i][j];
        }
      }
      for (int j = 0; j < n; j++) {
        W[i][j] /= total;
      }
    }
    return W;
  }

  /** Per query row {@code log Σ_j exp(s_ij)} over allowed keys, −∞ if none. */
  static double[] logSumExp(double[][] Q, long qPos0, double[][] K, long kPos0, Allowed mask) {
    double[] out = new double[Q.length];
    for (int i = 0; i < Q.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < K.length; j++) {
        if (mask.test(qPos0 + i, kPos0 + j)) {
          max = Math.max(max, score(Q[i], K[j]));
        }
      }
      if (max == Double.NEGATIVE_INFINITY) {
        out[i] = max;
        continue;
      }
      double total = 0;
      for (int j = 0; j < K.length; j++) {
        if (mask.test(qPos0 + i, kPos0 + j)) {
          total += Math.exp(score(Q[i], K[j]) - max);
        }
      }
      out[i] = max + Math.log(total);
    }
    return out;
  }

  // ---------------------------------------------------------------- local-p

  /**
   * Luong local-p: keys s (positions 0 …) with {@code |s - c_i| <= D}; align(s) = softmax of the
   * scores over that window; out_i = Σ align(s) · exp(-(s - c_i)² / (2σ²)) · v_s, σ = D/2, not
   * renormalised.
   */
  static double[][] localP(double[][] Q, double[][] K, double[][] V, int dv, double[] c, int D) {
    double sigma = D / 2.0;
    double[][] out = new double[Q.length][dv];
    for (int i = 0; i < Q.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int s = 0; s < K.length; s++) {
        if (Math.abs(s - c[i]) <= D) {
          max = Math.max(max, score(Q[i], K[s]));
        }
      }
      if (max == Double.NEGATIVE_INFINITY) {
        continue;
      }
      double total = 0;
      for (int s = 0; s < K.length; s++) {
        if (Math.abs(s - c[i]) <= D) {
          total += Math.exp(score(Q[i], K[s]) - max);
        }
      }
      for (int s = 0; s < K.length; s++) {
        if (Math.abs(s - c[i]) <= D) {
          double align = Math.exp(score(Q[i], K[s]) - max) / total;
          double gauss = Math.exp(-(s - c[i]) * (s - c[i]) / (2 * sigma * sigma));
          for (int col = 0; col < dv; col++) {
            out[i][col] += align * gauss * V[s][col];
          }
        }
      }
    }
    return out;
  }

  /** Local-p centres {@code p_t = S · sigmoid(v_p · tanh(h_t W_p))}. */
  static double[] centres(double[][] H, double[][] Wp, double[] vp, int sourceLength) {
    double[] p = new double[H.length];
    for (int t = 0; t < H.length; t++) {
      double z = 0;
      for (int j = 0; j < vp.length; j++) {
        double hw = 0;
        for (int c = 0; c < H[t].length; c++) {
          hw += H[t][c] * Wp[c][j];
        }
        z += vp[j] * Math.tanh(hw);
      }
      p[t] = sourceLength * (1 / (1 + Math.exp(-z)));
    }
    return p;
  }

  // ---------------------------------------------------------------- hard attention

  /** Per query the allowed key with the highest score, ties to the lowest position; −1 if none. */
  static long[] hardChoice(double[][] Q, long qPos0, double[][] K, long kPos0, Allowed mask) {
    return choose(Q, qPos0, K, kPos0, mask, false, 0);
  }

  /** Per query the argmax of score + Gumbel noise (noise from {@link ReferenceGumbelNoise}). */
  static long[] sampledChoice(
      double[][] Q, long qPos0, double[][] K, long kPos0, Allowed mask, long seed) {
    return choose(Q, qPos0, K, kPos0, mask, true, seed);
  }

  private static long[] choose(
      double[][] Q, long qPos0, double[][] K, long kPos0, Allowed mask, boolean noisy, long seed) {
    long[] chosen = new long[Q.length];
    for (int i = 0; i < Q.length; i++) {
      chosen[i] = -1;
      double best = 0;
      // Keys in increasing position; only a strictly better score replaces: ties keep the lowest.
      for (int j = 0; j < K.length; j++) {
        long q = qPos0 + i;
        long k = kPos0 + j;
        if (!mask.test(q, k)) {
          continue;
        }
        double s = score(Q[i], K[j]) + (noisy ? ReferenceGumbelNoise.sample(seed, q, k) : 0.0);
        if (chosen[i] < 0 || s > best) {
          chosen[i] = k;
          best = s;
        }
      }
    }
    return chosen;
  }

  /** The values of the chosen keys (zeros for −1). */
  static double[][] gather(long[] chosen, double[][] V, long kPos0, int dv) {
    double[][] out = new double[chosen.length][dv];
    for (int i = 0; i < chosen.length; i++) {
      if (chosen[i] >= 0) {
        out[i] = V[(int) (chosen[i] - kPos0)].clone();
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- multi-head

  /** {@code X·W + b}; null W is the identity, null b is zero. */
  static double[][] project(double[][] X, int width, double[][] W, double[] b) {
    if (W == null) {
      double[][] copy = new double[X.length][];
      for (int i = 0; i < X.length; i++) {
        copy[i] = X[i].clone();
      }
      return copy;
    }
    int out = W[0].length;
    double[][] Y = new double[X.length][out];
    for (int i = 0; i < X.length; i++) {
      for (int j = 0; j < out; j++) {
        double s = b == null ? 0 : b[j];
        for (int c = 0; c < width; c++) {
          s += X[i][c] * W[c][j];
        }
        Y[i][j] = s;
      }
    }
    return Y;
  }

  /** Weights by hand; any element may be null. */
  static final class Weights {
    double[][] wq;
    double[] bq;
    double[][] wk;
    double[] bk;
    double[][] wv;
    double[] bv;
    double[][] wo;
    double[] bo;

    AttentionWeights toKernel() {
      return AttentionWeights.builder()
          .query(toMatrixOrNull(wq), bq)
          .key(toMatrixOrNull(wk), bk)
          .value(toMatrixOrNull(wv), bv)
          .output(toMatrixOrNull(wo), bo)
          .build();
    }
  }

  /**
   * Multi-head attention: Q = Xq·Wq + bq, K = Xkv·Wk + bk, V = Xkv·Wv + bv; head h of a width-w
   * matrix is columns [h·w/H, (h+1)·w/H); attend per head; concatenate; out = concat·Wo + bo.
   */
  static double[][] multiHead(
      double[][] Xq, int dIn, double[][] Xkv, int dCtx, Weights w, int numHeads, Allowed mask) {
    double[][] Q = project(Xq, dIn, w.wq, w.bq);
    double[][] K = project(Xkv, dCtx, w.wk, w.bk);
    double[][] V = project(Xkv, dCtx, w.wv, w.bv);
    int dq = w.wq == null ? dIn : w.wq[0].length;
    int dv = w.wv == null ? dCtx : w.wv[0].length;
    int hq = dq / numHeads;
    int hv = dv / numHeads;
    double[][] concat = new double[Xq.length][dv];
    for (int h = 0; h < numHeads; h++) {
      double[][] out =
          attention(
              columns(Q, h * hq, hq),
              0,
              columns(K, h * hq, hq),
              columns(V, h * hv, hv),
              0,
              hv,
              mask);
      for (int i = 0; i < Xq.length; i++) {
        System.arraycopy(out[i], 0, concat[i], h * hv, hv);
      }
    }
    return project(concat, dv, w.wo, w.bo);
  }

  static double[][] columns(double[][] X, int from, int width) {
    double[][] Y = new double[X.length][width];
    for (int i = 0; i < X.length; i++) {
      for (int c = 0; c < width; c++) {
        Y[i][c] = X[i][from + c];
      }
    }
    return Y;
  }

  // ---------------------------------------------------------------- pooling and pyramid

  /** Pooling scores {@code tanh(h_i W + b) · u}. */
  static double[] poolingScores(double[][] H, double[][] W, double[] b, double[] u) {
    double[] s = new double[H.length];
    for (int i = 0; i < H.length; i++) {
      for (int j = 0; j < u.length; j++) {
        double z = b == null ? 0 : b[j];
        for (int c = 0; c < H[i].length; c++) {
          z += H[i][c] * W[c][j];
        }
        s[i] += Math.tanh(z) * u[j];
      }
    }
    return s;
  }

  /** {@code α = softmax(scores)}. */
  static double[] poolingWeights(double[][] H, double[][] W, double[] b, double[] u) {
    double[] s = poolingScores(H, W, b, u);
    double max = Double.NEGATIVE_INFINITY;
    for (double v : s) {
      max = Math.max(max, v);
    }
    double total = 0;
    for (double v : s) {
      total += Math.exp(v - max);
    }
    double[] alpha = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      alpha[i] = Math.exp(s[i] - max) / total;
    }
    return alpha;
  }

  /** {@code Σ α_i h_i}; zeros for no rows. */
  static double[] pool(double[][] H, int d, double[][] W, double[] b, double[] u) {
    double[] alpha = poolingWeights(H, W, b, u);
    double[] out = new double[d];
    for (int i = 0; i < H.length; i++) {
      for (int c = 0; c < d; c++) {
        out[c] += alpha[i] * H[i][c];
      }
    }
    return out;
  }

  /** One pyramid level: row r = [x_{2r}, x_{2r+1}], the missing last step as zeros. */
  static double[][] pyramid(double[][] X, int d) {
    int rows = (X.length + 1) / 2;
    double[][] Y = new double[rows][2 * d];
    for (int r = 0; r < rows; r++) {
      for (int half = 0; half < 2; half++) {
        int p = 2 * r + half;
        for (int c = 0; c < d; c++) {
          Y[r][half * d + c] = p < X.length ? X[p][c] : 0.0;
        }
      }
    }
    return Y;
  }

  // ---------------------------------------------------------------- helpers

  /** {@code A·B}, A m×n, B n×cols. */
  static double[][] times(double[][] A, double[][] B, int cols) {
    double[][] C = new double[A.length][cols];
    for (int i = 0; i < A.length; i++) {
      for (int j = 0; j < B.length; j++) {
        if (A[i][j] == 0) {
          continue;
        }
        for (int c = 0; c < cols; c++) {
          C[i][c] += A[i][j] * B[j][c];
        }
      }
    }
    return C;
  }

  /** Rows [from, to) of X. */
  static double[][] rows(double[][] X, int from, int to) {
    double[][] Y = new double[to - from][];
    for (int i = from; i < to; i++) {
      Y[i - from] = X[i];
    }
    return Y;
  }

  static double[][] random(Random rnd, int rows, int cols, double scale) {
    double[][] X = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < cols; c++) {
        X[i][c] = scale * rnd.nextGaussian();
      }
    }
    return X;
  }

  static double[] random(Random rnd, int n, double scale) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = scale * rnd.nextGaussian();
    }
    return x;
  }

  /** {@code double[rows][cols]} to a matrix (cols given, so that 0 rows keep their width). */
  static DMatrixRMaj toMatrix(double[][] X, int cols) {
    DMatrixRMaj M = new DMatrixRMaj(X.length, cols);
    for (int i = 0; i < X.length; i++) {
      if (X[i].length != cols) {
        throw new IllegalArgumentException("row " + i + " has " + X[i].length + " columns");
      }
      for (int c = 0; c < cols; c++) {
        M.data[i * cols + c] = X[i][c];
      }
    }
    return M;
  }

  static DMatrixRMaj toMatrix(double[][] X) {
    if (X.length == 0) {
      throw new IllegalArgumentException("0 rows: use toMatrix(X, cols)");
    }
    return toMatrix(X, X[0].length);
  }

  static DMatrixRMaj toMatrixOrNull(double[][] X) {
    return X == null ? null : toMatrix(X);
  }

  static double[][] toArray(DMatrixRMaj M) {
    double[][] X = new double[M.numRows][M.numCols];
    for (int i = 0; i < M.numRows; i++) {
      for (int c = 0; c < M.numCols; c++) {
        X[i][c] = M.data[i * M.numCols + c];
      }
    }
    return X;
  }
}
