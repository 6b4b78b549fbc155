package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.Blocks;
import org.ejml.data.DMatrixRMaj;

/**
 * Luong et al. (2015) local-p's predicted alignment centres, {@code p_t = S · sigmoid(v_pᵀ ·
 * tanh(h_t · W_p))} for a source of length S; the attention itself is {@link AttentionOps#localP}.
 *
 * <p>{@code h_t} is the query the centre belongs to: the attention job passes the projected query
 * {@code x_t·W_Q + b_Q} (all heads' columns; see {@link AttentionWeights#localPCentre}).
 */
public final class LocalPOps {
  private LocalPOps() {}

  /**
   * The centre of every row of {@code H}.
   *
   * @param H m×d target hidden states (one per query)
   * @param Wp d×a
   * @param vp length a
   * @param sourceLength S, the number of keys
   * @return m centres in {@code [0, S]}
   */
  public static double[] centres(DMatrixRMaj H, DMatrixRMaj Wp, double[] vp, int sourceLength) {
    requirePredictor("H", H.numRows, H.numCols, Wp, vp, sourceLength);
    Checks.requireFinite(H, "H");
    Checks.requireFinite(Wp, "wp");
    Checks.requireFinite(vp, "vp");
    DMatrixRMaj T = new DMatrixRMaj(H.numRows, Wp.numCols);
    MatrixEngine.defaultEngine().mult(H, Wp, T);
    double[] centres = new double[H.numRows];
    final int a = Wp.numCols;
    for (int t = 0; t < H.numRows; t++) {
      // z_t = v_p · tanh(h_t W_p); p_t = S · sigmoid(z_t)
      double z = 0;
      for (int j = 0; j < a; j++) {
        z += vp[j] * Math.tanh(T.data[t * a + j]);
      }
      centres[t] = sourceLength / (1.0 + Math.exp(-z));
    }
    return centres;
  }

  /**
   * The centre of one hidden state {@code h}: {@code S · sigmoid(v_pᵀ · tanh(h · W_p))}, equal to a
   * row of {@link #centres} up to rounding.
   *
   * <p>Written in plain loops (fixed summation order, no BLAS) with {@link StrictMath}, so the
   * result is the same bits on every JVM and machine. A distributed job decides which key blocks a
   * query needs from its centre in one place and uses the centre in another; both must agree
   * exactly, or a window edge could fall on a different key.
   *
   * @param h length d
   * @param Wp d×a
   * @param vp length a
   * @param sourceLength S ≥ 0
   * @return the centre, in {@code [0, S]}
   */
  public static double centre(double[] h, DMatrixRMaj Wp, double[] vp, long sourceLength) {
    requirePredictor("h", -1, h.length, Wp, vp, sourceLength);
    Checks.requireFinite(h, "h");
    final int a = Wp.numCols;
    final double[] w = Wp.data;
    // z = Σ_j v_j · tanh(Σ_c h_c · W_cj); p = S · sigmoid(z)
    double z = 0;
    for (int j = 0; j < a; j++) {
      double hw = 0;
      for (int c = 0; c < h.length; c++) {
        hw += h[c] * w[c * a + j];
      }
      z += vp[j] * StrictMath.tanh(hw);
    }
    return sourceLength / (1.0 + StrictMath.exp(-z));
  }

  /**
   * Throws unless the hidden states are as wide as {@code Wp} has rows, {@code vp} is as long as
   * {@code Wp} is wide, and {@code sourceLength} ≥ 0.
   *
   * @param name what the message calls the hidden states
   * @param rows how many there are, or −1 for one vector
   * @param width their width (a vector's length)
   */
  private static void requirePredictor(
      String name, int rows, int width, DMatrixRMaj Wp, double[] vp, long sourceLength) {
    if (width != Wp.numRows || Wp.numCols != vp.length) {
      throw new IllegalArgumentException(
          (rows < 0
                  ? name + " has " + width + " entries"
                  : name + " is " + Blocks.shape(rows, width))
              + ", wp is "
              + Blocks.shape(Wp)
              + ", vp has "
              + vp.length
              + " entries: need "
              + name
              + (rows < 0 ? "'s length" : "'s width")
              + " = wp's rows and wp's columns = vp's length");
    }
    if (sourceLength < 0) {
      throw new IllegalArgumentException("source length must be >= 0, got " + sourceLength);
    }
  }
}
