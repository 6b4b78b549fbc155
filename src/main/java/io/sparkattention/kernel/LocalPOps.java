package io.sparkattention.kernel;

import org.ejml.data.DMatrixRMaj;

/**
 * Luong et al. (2015) local-p's predicted alignment centres, {@code p_t = S · sigmoid(v_pᵀ ·
 * tanh(h_t · W_p))} for a source of length S; the attention itself is {@link AttentionOps#localP}.
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
    if (H.numCols != Wp.numRows || Wp.numCols != vp.length) {
      throw new IllegalArgumentException(
          "H is "
              + Checks.shape(H)
              + ", wp is "
              + Checks.shape(Wp)
              + ", vp has "
              + vp.length
              + " entries: need H's width = wp's rows and wp's columns = vp's length");
    }
    if (sourceLength < 0) {
      throw new IllegalArgumentException("source length must be >= 0, got " + sourceLength);
    }
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
}
