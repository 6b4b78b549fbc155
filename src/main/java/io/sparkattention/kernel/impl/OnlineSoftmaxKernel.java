package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import org.ejml.data.DMatrixRMaj;

/**
 * The online-softmax (log-sum-exp) block update behind every soft attention: folds one block of
 * keys and values into a running state of per-row max {@code m}, normaliser {@code l} and
 * unnormalised weighted value sum {@code A} (Milakov and Gimelshein 2018; FlashAttention).
 *
 * <p>For each query row i and allowed key j: {@code p_ij = exp(s_ij - m_i) · g_ij}, {@code l_i +=
 * exp(s_ij - m_i)}, {@code A_i += p_ij · v_j}, with the old {@code l_i, A_i} rescaled by {@code
 * exp(m_old - m_new)} first. {@code g_ij} is 1, or the local-p Gaussian {@code exp(-(k_j -
 * c_i)²/(2σ²))}, which weights the values but stays out of the normaliser (Luong et al. 2015).
 */
public final class OnlineSoftmaxKernel {
  /**
   * Query rows per chunk: a chunk's scores (CHUNK_ROWS × key block, 8 bytes each: 1 MiB for 1024
   * keys) stay in the core's cache between the two products. Measured with {@code jobs/bench-kernel
   * timer} (one thread, d = 64, 2026-11-25), full kernel GFLOP/s at n = 1,024 / 4,096 for 64, 128,
   * 256 and unchunked rows: 28.3/25.8, 28.7/31.7, 26.8/30.4, 19.8/30.6 (the blocked kernel,
   * 1024-row blocks, 33-35 for all). {@code -Dsparkattention.chunkRows} overrides it, for tuning
   * only.
   */
  static final int CHUNK_ROWS = Integer.getInteger("sparkattention.chunkRows", 128);

  private OnlineSoftmaxKernel() {}

  /**
   * Folds keys {@code K}, values {@code V} (positions {@code kPos0 …}) into the state of queries
   * {@code Q}.
   *
   * @param Q m×d queries
   * @param K nk×d keys
   * @param V nk×dv values
   * @param kPos0 absolute position of the first key
   * @param lo per query row, the first allowed absolute key position (inclusive)
   * @param hi per query row, the last allowed absolute key position (inclusive)
   * @param centres per query row the local-p centre, or null for no Gaussian weighting
   * @param sigma the Gaussian's standard deviation (ignored without centres)
   * @param scale score scale, {@code 1/sqrt(d)}
   * @param max running row maxima, length ≥ m (modified)
   * @param sum running normalisers, length ≥ m (modified)
   * @param acc m×dv running weighted value sums (modified)
   * @param scratch workspace (reshaped, overwritten)
   * @param engine where the two matrix products run
   */
  public static void accumulate(
      DMatrixRMaj Q,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      long[] lo,
      long[] hi,
      double[] centres,
      double sigma,
      double scale,
      double[] max,
      double[] sum,
      DMatrixRMaj acc,
      BlockScratch scratch,
      MatrixEngine engine) {
    final int m = Q.numRows;
    final int nk = K.numRows;
    final int dv = V.numCols;
    if (Q.numCols != K.numCols || K.numRows != V.numRows) {
      throw new IllegalArgumentException(
          "shapes do not fit: Q "
              + Q.numRows
              + "×"
              + Q.numCols
              + ", K "
              + K.numRows
              + "×"
              + K.numCols
              + ", V "
              + V.numRows
              + "×"
              + V.numCols
              + " (need Q and K of equal width, K and V of equal length)");
    }
    if (acc.numRows != m || acc.numCols != dv) {
      throw new IllegalArgumentException(
          "state is "
              + acc.numRows
              + "×"
              + acc.numCols
              + " but queries × values are "
              + m
              + "×"
              + dv);
    }
    if (m == 0 || nk == 0 || !anyRowSeesBlock(m, lo, hi, kPos0, kPos0 + nk - 1)) {
      return;
    }
    if (m <= CHUNK_ROWS) {
      accumulateRows(
          Q, K, V, kPos0, lo, hi, centres, sigma, scale, max, sum, acc, 0, scratch, engine);
      return;
    }
    // Query rows go through in chunks so that a chunk's scores stay in cache between the product
    // that writes them, the softmax passes and the product that reads them.
    final DMatrixRMaj Qc = scratch.queries;
    final DMatrixRMaj Ac = scratch.acc;
    for (int r0 = 0; r0 < m; r0 += CHUNK_ROWS) {
      final int r1 = Math.min(m, r0 + CHUNK_ROWS);
      if (!anyRowSeesBlock(r0, r1, lo, hi, kPos0, kPos0 + nk - 1)) {
        continue;
      }
      Qc.reshape(r1 - r0, Q.numCols);
      System.arraycopy(Q.data, r0 * Q.numCols, Qc.data, 0, (r1 - r0) * Q.numCols);
      Ac.reshape(r1 - r0, dv);
      System.arraycopy(acc.data, r0 * dv, Ac.data, 0, (r1 - r0) * dv);
      accumulateRows(
          Qc, K, V, kPos0, lo, hi, centres, sigma, scale, max, sum, Ac, r0, scratch, engine);
      System.arraycopy(Ac.data, 0, acc.data, r0 * dv, (r1 - r0) * dv);
    }
  }

  /**
   * The update for query rows {@code Q} whose per-row arrays ({@code lo, hi, centres, max, sum})
   * start at {@code rowOffset}; {@code acc} holds just these rows.
   */
  private static void accumulateRows(
      DMatrixRMaj Q,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      long[] lo,
      long[] hi,
      double[] centres,
      double sigma,
      double scale,
      double[] max,
      double[] sum,
      DMatrixRMaj acc,
      int rowOffset,
      BlockScratch scratch,
      MatrixEngine engine) {
    final int m = Q.numRows;
    final int nk = K.numRows;
    final int dv = V.numCols;
    final DMatrixRMaj S = scratch.scores;
    S.reshape(m, nk);
    // s_ij = q_i·k_j (scaled below)
    engine.multTransB(Q, K, S);
    final double[] s = S.data;
    final double[] a = acc.data;
    final double twoSigmaSq = 2 * sigma * sigma;
    final SoftmaxRows rows = SoftmaxRows.get();
    for (int i = 0; i < m; i++) {
      final int r = rowOffset + i;
      final int rowOff = i * nk;
      final int first = (int) Math.max(0, Math.min(nk, lo[r] - kPos0));
      final int last = (int) Math.min(nk - 1, Math.max(-1, hi[r] - kPos0));
      if (first > last) {
        java.util.Arrays.fill(s, rowOff, rowOff + nk, 0.0);
        continue;
      }
      // m_new = max(m_old, max_j s_ij · scale)
      final double blockMax = rows.scaleAndMax(s, rowOff + first, rowOff + last + 1, scale);
      final double oldMax = max[r];
      final double newMax = Math.max(oldMax, blockMax);
      if (newMax != oldMax && oldMax != Double.NEGATIVE_INFINITY) {
        // l_i, A_i *= exp(m_old - m_new)
        double correction = Math.exp(oldMax - newMax);
        sum[r] *= correction;
        for (int c = i * dv, end = c + dv; c < end; c++) {
          a[c] *= correction;
        }
      }
      max[r] = newMax;
      // p_ij = exp(s_ij - m_new) (· Gaussian for local-p); masked p_ij = 0
      java.util.Arrays.fill(s, rowOff, rowOff + first, 0.0);
      sum[r] += rows.expAndSum(s, rowOff + first, rowOff + last + 1, newMax);
      if (centres != null) {
        final double centre = centres[r];
        for (int j = first; j <= last; j++) {
          double dist = kPos0 + j - centre;
          s[rowOff + j] *= Math.exp(-dist * dist / twoSigmaSq);
        }
      }
      java.util.Arrays.fill(s, rowOff + last + 1, rowOff + nk, 0.0);
    }
    // A += P · V
    engine.multAdd(S, V, acc);
  }

  /** Whether any of the m rows' key interval meets [k0, k1]. */
  static boolean anyRowSeesBlock(int m, long[] lo, long[] hi, long k0, long k1) {
    return anyRowSeesBlock(0, m, lo, hi, k0, k1);
  }

  /** Whether any of rows r0 … r1-1's key interval meets [k0, k1]. */
  private static boolean anyRowSeesBlock(int r0, int r1, long[] lo, long[] hi, long k0, long k1) {
    for (int i = r0; i < r1; i++) {
      if (lo[i] <= k1 && hi[i] >= k0 && lo[i] <= hi[i]) {
        return true;
      }
    }
    return false;
  }
}
