package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.Blocks;
import java.io.Serializable;
import org.ejml.data.DMatrixRMaj;

/**
 * The learned projections around attention, each {@code y = x·W + b} with {@code W} d_in×d_out:
 * queries ({@code wq, bq}), keys ({@code wk, bk}), values ({@code wv, bv}) and the output ({@code
 * wo, bo}). Every part is optional: a missing matrix is the identity (so {@link #none()} gives the
 * plain self-attention {@code Q = K = V = X} without output projection), a missing bias is zero.
 *
 * <p>Optionally also Luong's local-p position predictor ({@code wp}, {@code vp}, together): the
 * centre of query token t is {@code p_t = S · sigmoid(v_pᵀ · tanh(h_t · W_p))} where {@code h_t} is
 * the token's projected query {@code x_t·W_Q + b_Q} (all heads' columns), so {@code W_p} has as
 * many rows as the projected queries are wide and the centre is shared by every head. See {@link
 * #localPCentre}.
 *
 * <p>Immutable (matrices are copied in and out) and serializable, so a driver can broadcast it.
 */
public final class AttentionWeights implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final AttentionWeights NONE = new Builder().build();

  private final DMatrixRMaj wq;
  private final double[] bq;
  private final DMatrixRMaj wk;
  private final double[] bk;
  private final DMatrixRMaj wv;
  private final double[] bv;
  private final DMatrixRMaj wo;
  private final double[] bo;
  private final DMatrixRMaj wp;
  private final double[] vp;

  private AttentionWeights(Builder b) {
    wq = copy(b.wq);
    bq = copy(b.bq);
    wk = copy(b.wk);
    bk = copy(b.bk);
    wv = copy(b.wv);
    bv = copy(b.bv);
    wo = copy(b.wo);
    bo = copy(b.bo);
    wp = copy(b.wp);
    vp = copy(b.vp);
    checkBias(wq, bq, "bq", "wq");
    checkBias(wk, bk, "bk", "wk");
    checkBias(wv, bv, "bv", "wv");
    checkBias(wo, bo, "bo", "wo");
    checkLocalP(wp, vp);
    for (Object[] part :
        new Object[][] {{wq, "wq"}, {wk, "wk"}, {wv, "wv"}, {wo, "wo"}, {wp, "wp"}}) {
      if (part[0] != null) {
        Checks.requireFinite((DMatrixRMaj) part[0], (String) part[1]);
      }
    }
    for (Object[] part :
        new Object[][] {{bq, "bq"}, {bk, "bk"}, {bv, "bv"}, {bo, "bo"}, {vp, "vp"}}) {
      if (part[0] != null) {
        Checks.requireFinite((double[]) part[0], (String) part[1]);
      }
    }
  }

  /** No projections: {@code Q = K = V = X}, output = attention. */
  public static AttentionWeights none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether every projection is absent (local-p's {@code wp, vp} project nothing). */
  public boolean isNone() {
    return wq == null && wk == null && wv == null && wo == null;
  }

  /** Whether the local-p position predictor ({@code wp} and {@code vp}) is present. */
  public boolean hasLocalP() {
    return wp != null;
  }

  /** Width of queries and keys for inputs of width {@code dIn}. */
  public int queryWidth(int dIn) {
    return wq == null ? dIn : wq.numCols;
  }

  /** Width of the values (and of the concatenated heads) for inputs of width {@code dIn}. */
  public int valueWidth(int dIn) {
    return wv == null ? dIn : wv.numCols;
  }

  /** Width of the final output for inputs of width {@code dIn}. */
  public int outputWidth(int dIn) {
    return wo == null ? valueWidth(dIn) : wo.numCols;
  }

  /**
   * Checks that these weights fit inputs of width {@code dIn} (queries) and {@code dContext} (keys
   * and values; equal to dIn for self-attention) split into {@code numHeads} heads.
   *
   * @throws IllegalArgumentException naming the matrix and both shapes when they do not fit
   */
  public void validate(int dIn, int dContext, int numHeads) {
    validate(dIn, dContext, numHeads, numHeads);
  }

  /**
   * Checks that these weights fit inputs of width {@code dIn} (queries) and {@code dContext} (keys
   * and values) with {@code numHeads} query heads sharing {@code kvHeads} key/value heads
   * (grouped-query attention: {@code wk}, {@code wv} produce {@code kvHeads} heads of the query
   * heads' width; the concatenated heads, which {@code wo} takes, are {@code numHeads} value heads
   * wide).
   *
   * @throws IllegalArgumentException naming the matrix and both shapes when they do not fit
   */
  public void validate(int dIn, int dContext, int numHeads, int kvHeads) {
    requireRows(wq, dIn, "wq", "query input");
    requireRows(wk, dContext, "wk", "key input");
    requireRows(wv, dContext, "wv", "value input");
    int dq = queryWidth(dIn);
    int dk = keyWidth(dContext);
    if (kvHeads == numHeads) {
      if (dq != dk) {
        throw new IllegalArgumentException(
            "queries are "
                + dq
                + " wide but keys "
                + dk
                + " wide (wq and wk must have equal columns)");
      }
      MultiHeadOps.checkHeads(dq, numHeads, "query/key width");
    } else {
      MultiHeadOps.checkHeads(dq, numHeads, "query width");
      MultiHeadOps.checkHeads(dk, kvHeads, "key width");
      if (dq / numHeads != dk / kvHeads) {
        throw new IllegalArgumentException(
            "queries are "
                + dq
                + " wide ("
                + numHeads
                + " heads of "
                + dq / numHeads
                + ") but keys "
                + dk
                + " wide ("
                + kvHeads
                + " key/value heads of "
                + dk / kvHeads
                + "): wk needs "
                + (long) kvHeads * (dq / numHeads)
                + " columns");
      }
    }
    MultiHeadOps.checkHeads(valueWidth(dContext), kvHeads, "value width");
    requireRows(wo, concatWidth(dContext, numHeads, kvHeads), "wo", "concatenated heads");
    requireRows(wp, dq, "wp", "projected query h_t");
  }

  /** Width of the keys for context inputs of width {@code dContext}. */
  public int keyWidth(int dContext) {
    return wk == null ? dContext : wk.numCols;
  }

  /**
   * Width of the concatenated heads (what {@code wo} takes) for context inputs of width {@code
   * dContext}: {@code numHeads} value heads of {@code valueWidth / kvHeads} columns each.
   */
  public int concatWidth(int dContext, int numHeads, int kvHeads) {
    return valueWidth(dContext) / kvHeads * numHeads;
  }

  private static void requireRows(DMatrixRMaj w, int rows, String name, String what) {
    if (w != null && w.numRows != rows) {
      throw new IllegalArgumentException(
          name
              + " is "
              + Blocks.shape(w)
              + " but the "
              + what
              + " is "
              + rows
              + " wide (need "
              + rows
              + " rows)");
    }
  }

  private static void checkBias(DMatrixRMaj w, double[] b, String bName, String wName) {
    if (b == null) {
      return;
    }
    if (w == null) {
      throw new IllegalArgumentException(bName + " is given without " + wName);
    }
    if (b.length != w.numCols) {
      throw new IllegalArgumentException(
          bName
              + " has "
              + b.length
              + " entries but "
              + wName
              + " is "
              + Blocks.shape(w)
              + " (need "
              + w.numCols
              + ")");
    }
  }

  private static void checkLocalP(DMatrixRMaj wp, double[] vp) {
    if ((wp == null) != (vp == null)) {
      throw new IllegalArgumentException(
          (wp == null ? "vp is given without wp" : "wp is given without vp")
              + " (local-p needs both: p = S·sigmoid(vp·tanh(h·wp)))");
    }
    if (wp != null && vp.length != wp.numCols) {
      throw new IllegalArgumentException(
          "vp has "
              + vp.length
              + " entries but wp is "
              + Blocks.shape(wp)
              + " (need "
              + wp.numCols
              + ")");
    }
  }

  /**
   * The local-p centre of one query token: {@code p = S · sigmoid(v_pᵀ · tanh(h·W_p))} with {@code
   * h = x·W_Q + b_Q} ({@code x} itself without wq), in {@code [0, S]}.
   *
   * <p>Plain loops and {@link StrictMath} (see {@link LocalPOps#centre}): the same bits on every
   * JVM and machine, so a centre computed to route a token agrees exactly with the one the task
   * computes again from the same {@code x}.
   *
   * @param x the token's input, as wide as wq's rows (any width without wq)
   * @param sourceLength S, the number of keys of the token's sequence
   * @throws IllegalStateException if these weights have no wp/vp
   * @throws IllegalArgumentException if {@code x} does not fit wq or wp
   */
  public double localPCentre(double[] x, long sourceLength) {
    if (wp == null) {
      throw new IllegalStateException("no local-p weights (wp, vp)");
    }
    double[] h = x;
    if (wq != null) {
      if (x.length != wq.numRows) {
        throw new IllegalArgumentException(
            "x has " + x.length + " entries but wq is " + Blocks.shape(wq));
      }
      // h_j = Σ_c x_c · wq_cj + bq_j, in a fixed order
      final int dq = wq.numCols;
      h = new double[dq];
      for (int j = 0; j < dq; j++) {
        double s = bq == null ? 0.0 : bq[j];
        for (int c = 0; c < x.length; c++) {
          s += x[c] * wq.data[c * dq + j];
        }
        h[j] = s;
      }
    }
    return LocalPOps.centre(h, wp, vp, sourceLength);
  }

  /** {@code X·W_Q + b_Q} (a copy of X without wq). */
  public DMatrixRMaj projectQuery(DMatrixRMaj X) {
    return project(X, wq, bq, "wq");
  }

  /** {@code X·W_K + b_K} (a copy of X without wk). */
  public DMatrixRMaj projectKey(DMatrixRMaj X) {
    return project(X, wk, bk, "wk");
  }

  /** {@code X·W_V + b_V} (a copy of X without wv). */
  public DMatrixRMaj projectValue(DMatrixRMaj X) {
    return project(X, wv, bv, "wv");
  }

  /** {@code O·W_O + b_O} (a copy of O without wo). */
  public DMatrixRMaj projectOutput(DMatrixRMaj O) {
    return project(O, wo, bo, "wo");
  }

  private static DMatrixRMaj project(DMatrixRMaj X, DMatrixRMaj W, double[] b, String name) {
    if (W == null) {
      return X.copy();
    }
    if (X.numCols != W.numRows) {
      throw new IllegalArgumentException(
          "input is " + Blocks.shape(X) + " but " + name + " is " + Blocks.shape(W));
    }
    DMatrixRMaj Y = new DMatrixRMaj(X.numRows, W.numCols);
    MatrixEngine.defaultEngine().mult(X, W, Y);
    if (b != null) {
      // y_ij += b_j
      final int n = W.numCols;
      for (int i = 0; i < X.numRows; i++) {
        final int off = i * n;
        for (int j = 0; j < n; j++) {
          Y.data[off + j] += b[j];
        }
      }
    }
    return Y;
  }

  private static DMatrixRMaj copy(DMatrixRMaj m) {
    return m == null ? null : m.copy();
  }

  private static double[] copy(double[] v) {
    return v == null ? null : v.clone();
  }

  /** Collects the optional parts; {@link #build()} checks biases against their matrices. */
  public static final class Builder {
    private DMatrixRMaj wq;
    private double[] bq;
    private DMatrixRMaj wk;
    private double[] bk;
    private DMatrixRMaj wv;
    private double[] bv;
    private DMatrixRMaj wo;
    private double[] bo;
    private DMatrixRMaj wp;
    private double[] vp;

    private Builder() {}

    public Builder query(DMatrixRMaj w, double[] b) {
      wq = w;
      bq = b;
      return this;
    }

    public Builder key(DMatrixRMaj w, double[] b) {
      wk = w;
      bk = b;
      return this;
    }

    public Builder value(DMatrixRMaj w, double[] b) {
      wv = w;
      bv = b;
      return this;
    }

    public Builder output(DMatrixRMaj w, double[] b) {
      wo = w;
      bo = b;
      return this;
    }

    /**
     * Luong's local-p position predictor: {@code wp} is d_q×a (d_q the projected query width),
     * {@code vp} has a entries; both or neither.
     */
    public Builder localP(DMatrixRMaj wp, double[] vp) {
      this.wp = wp;
      this.vp = vp;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a bias has no matrix or the wrong length, or any entry is
     *     not finite
     */
    public AttentionWeights build() {
      return new AttentionWeights(this);
    }
  }
}
