package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.kernel.Precision;
import io.sparkattention.kernel.ScoreRule;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;

/**
 * The online-softmax (log-sum-exp) block update behind every soft attention: folds one block of
 * keys and values into a running state of per-row max {@code m}, normaliser {@code l} and
 * unnormalised weighted value sum {@code A} (Milakov and Gimelshein 2018; FlashAttention).
 *
 * <p>For each query row i and allowed key j: {@code p_ij = exp(s_ij - m_i) · g_ij}, {@code l_i +=
 * exp(s_ij - m_i)}, {@code A_i += p_ij · v_j}, with the old {@code l_i, A_i} rescaled by {@code
 * exp(m_old - m_new)} first. {@code g_ij} is 1, or the local-p Gaussian {@code exp(-(k_j -
 * c_i)²/(2σ²))}, which weights the values but stays out of the normaliser (Luong et al. 2015).
 *
 * <p>With {@link Precision#FP32} ({@link BlockScratch#precision()}) the block's {@code Q, K, V} are
 * rounded to float once per call, and the two products run in single precision: {@code S = Q·Kᵀ}
 * (widened to double for the softmax) and {@code P·V} ({@code P} rounded to float, the product
 * added to the double {@code A}). The scaling, row max, {@code exp} and normaliser stay double: the
 * exp is the same deterministic vectorised one as for fp64, and it costs the same per score either
 * way (float lanes would double its width, but its polynomial is fitted for double), while the
 * products, which are most of the work, run at sgemm's speed.
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
   * Folds keys {@code K}, values {@code V} into the state of queries {@code Q}, at the positions
   * {@code block} places them ({@link BlockScratch#place}).
   *
   * @param Q m×d queries
   * @param K nk×d keys
   * @param V nk×dv values
   * @param centres per query row the local-p centre, or null for no Gaussian weighting
   * @param sigma the Gaussian's standard deviation (ignored without centres)
   * @param rule the scale, and the softcap and ALiBi bias applied after scaling ({@link
   *     ScoreRule#transform})
   * @param max running row maxima, length ≥ m (modified)
   * @param sum running normalisers, length ≥ m (modified)
   * @param acc m×dv running weighted value sums (modified)
   * @param block the block's place, each query row's allowed key interval, and scratch matrices
   *     (reshaped, overwritten)
   * @param engine where the two matrix products run
   */
  public static void accumulate(
      DMatrixRMaj Q,
      DMatrixRMaj K,
      DMatrixRMaj V,
      double[] centres,
      double sigma,
      ScoreRule rule,
      double[] max,
      double[] sum,
      DMatrixRMaj acc,
      BlockScratch block,
      MatrixEngine engine) {
    final int m = Q.numRows;
    final int nk = K.numRows;
    final int dv = V.numCols;
    final long qPos0 = block.qPos0;
    final long kPos0 = block.kPos0;
    final double scale = rule.scale(Q.numCols);
    Blocks.requireBlock(acc.numRows, acc.numCols, Q, K, V);
    final int[] runs = block.runs(nk);
    assert block.lo.length >= m && max.length >= m && sum.length >= m;
    assert centres == null || centres.length >= m;
    if (m == 0 || nk == 0) {
      return;
    }
    final long[] kp = block.keyPos; // null: key j at kPos0 + j
    final long kLast = kp == null ? kPos0 + nk - 1 : kp[nk - 1];
    final double twoSigmaSq = 2 * sigma * sigma;
    final boolean transform = !rule.isScaleOnly();
    final SoftmaxRows rows = SoftmaxRows.get();
    final DMatrixRMaj S = block.scores;
    final boolean fp32 = block.precision == Precision.FP32;
    if (fp32) {
      // Q, K, V to float once for all the block's chunks
      toFloat(Q, block.q32, "Q");
      toFloat(K, block.k32, "K");
      toFloat(V, block.v32, "V");
      requireFloatRange(Q, K, V);
    }
    // Query rows go through in chunks so that a chunk's scores stay in cache between the product
    // that writes them, the softmax passes and the product that reads them. A block of at most
    // CHUNK_ROWS rows is one chunk, used in place; a larger one's chunks are copied out and back.
    for (int r0 = 0; r0 < m; r0 += CHUNK_ROWS) {
      final int r1 = Math.min(m, r0 + CHUNK_ROWS);
      if (!Blocks.anyRowSees(r0, r1, block, kPos0, kLast)) {
        continue;
      }
      final int mc = r1 - r0;
      final boolean inPlace = mc == m;
      final DMatrixRMaj Ac = inPlace ? acc : rowsOf(acc, r0, r1, block.acc);
      S.reshape(mc, nk);
      // s_ij = q_i·k_j (scaled below)
      if (fp32) {
        FMatrixRMaj Qc = inPlace ? block.q32 : rowsOf(block.q32, r0, r1, block.queries32);
        engine.multTransB(Qc, block.k32, block.scores32);
        widen(block.scores32.data, S.data, mc * nk);
      } else {
        engine.multTransB(inPlace ? Q : rowsOf(Q, r0, r1, block.queries), K, S);
      }
      final double[] s = S.data;
      final double[] a = Ac.data;
      for (int i = 0; i < mc; i++) {
        final int r = r0 + i;
        final int rowOff = i * nk;
        // the row's allowed keys: runs [runs[0], runs[1]], [runs[2], runs[3]], … (global keys)
        final int nRuns = Blocks.runs(block, r, kPos0, nk, runs);
        if (nRuns == 0) {
          Arrays.fill(s, rowOff, rowOff + nk, 0.0);
          continue;
        }
        final int first = runs[0];
        final int end = runs[2 * nRuns - 1];
        // m_new = max(m_old, max_j s_ij · scale)
        double blockMax = rows.scaleAndMax(s, rowOff + first, rowOff + runs[1] + 1, scale);
        for (int u = 1; u < nRuns; u++) {
          blockMax =
              Math.max(
                  blockMax,
                  rows.scaleAndMax(s, rowOff + runs[2 * u], rowOff + runs[2 * u + 1] + 1, scale));
        }
        if (transform) {
          // s_ij = softcap(s_ij) - slope·|q - k|
          blockMax = Double.NEGATIVE_INFINITY;
          final long qPos = qPos0 + r;
          for (int u = 0; u < nRuns; u++) {
            for (int j = runs[2 * u], last = runs[2 * u + 1]; j <= last; j++) {
              double v = rule.transform(s[rowOff + j], qPos, kp == null ? kPos0 + j : kp[j]);
              s[rowOff + j] = v;
              blockMax = Math.max(blockMax, v);
            }
          }
        }
        final double oldMax = max[r];
        final double newMax = Math.max(oldMax, blockMax);
        if (newMax != oldMax && oldMax != Double.NEGATIVE_INFINITY) {
          // l_i, A_i *= exp(m_old - m_new)
          double correction = Math.exp(oldMax - newMax);
          sum[r] *= correction;
          for (int c = i * dv, cEnd = c + dv; c < cEnd; c++) {
            a[c] *= correction;
          }
        }
        max[r] = newMax;
        // p_ij = exp(s_ij - m_new) (· Gaussian for local-p); masked p_ij = 0
        Arrays.fill(s, rowOff, rowOff + first, 0.0);
        sum[r] += rows.expAndSum(s, rowOff + first, rowOff + runs[1] + 1, newMax);
        for (int u = 1; u < nRuns; u++) {
          Arrays.fill(s, rowOff + runs[2 * u - 1] + 1, rowOff + runs[2 * u], 0.0);
          sum[r] += rows.expAndSum(s, rowOff + runs[2 * u], rowOff + runs[2 * u + 1] + 1, newMax);
        }
        if (centres != null) {
          final double centre = centres[r];
          for (int j = first; j <= end; j++) {
            double dist = kPos0 + j - centre;
            s[rowOff + j] *= Math.exp(-dist * dist / twoSigmaSq);
          }
        }
        Arrays.fill(s, rowOff + end + 1, rowOff + nk, 0.0);
      }
      // A += P · V
      if (fp32) {
        FMatrixRMaj P = block.scores32;
        narrow(S.data, P.data, mc * nk);
        engine.mult(P, block.v32, block.values32);
        addWidened(block.values32.data, Ac.data, mc * dv);
      } else {
        engine.multAdd(S, V, Ac);
      }
      if (!inPlace) {
        System.arraycopy(Ac.data, 0, acc.data, r0 * dv, mc * dv);
      }
    }
  }

  /** Rows r0 … r1-1 of {@code M}, copied into {@code into} (reshaped). */
  private static FMatrixRMaj rowsOf(FMatrixRMaj M, int r0, int r1, FMatrixRMaj into) {
    into.reshape(r1 - r0, M.numCols);
    System.arraycopy(M.data, r0 * M.numCols, into.data, 0, (r1 - r0) * M.numCols);
    return into;
  }

  /** {@code into} (reshaped) = {@code M} rounded to float, to nearest. */
  private static void toFloat(DMatrixRMaj M, FMatrixRMaj into, String name) {
    into.reshape(M.numRows, M.numCols);
    narrow(M.data, into.data, M.numRows * M.numCols);
  }

  /**
   * The single-precision inputs and products cannot overflow: max|q|, max|k|, every |q_i·k_j| ≤
   * d·max|q|·max|k| and every |Σ_j p_ij v_j| ≤ nk·max|v| stay below float's largest value.
   */
  private static void requireFloatRange(DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V) {
    double q = maxAbs(Q);
    double k = maxAbs(K);
    double scores = Q.numCols * q * k;
    double values = K.numRows * maxAbs(V);
    if (!(Math.max(Math.max(q, k), scores) < Float.MAX_VALUE) || !(values < Float.MAX_VALUE)) {
      throw new IllegalArgumentException(
          "precision fp32: inputs too large for single precision (scores up to "
              + scores
              + ", value sums up to "
              + values
              + "; float's largest is "
              + Float.MAX_VALUE
              + "): use fp64");
    }
  }

  private static double maxAbs(DMatrixRMaj M) {
    double max = 0;
    final double[] x = M.data;
    for (int i = 0, n = M.numRows * M.numCols; i < n; i++) {
      max = Math.max(max, Math.abs(x[i]));
    }
    return max;
  }

  /** {@code to[i] = from[i]} for i &lt; n (exact). */
  private static void widen(float[] from, double[] to, int n) {
    for (int i = 0; i < n; i++) {
      to[i] = from[i];
    }
  }

  /** {@code to[i] = (float) from[i]} for i &lt; n (rounded to nearest). */
  private static void narrow(double[] from, float[] to, int n) {
    for (int i = 0; i < n; i++) {
      to[i] = (float) from[i];
    }
  }

  /** {@code to[i] += from[i]} for i &lt; n, in double. */
  private static void addWidened(float[] from, double[] to, int n) {
    for (int i = 0; i < n; i++) {
      to[i] += from[i];
    }
  }

  /** Rows r0 … r1-1 of {@code M}, copied into {@code into} (reshaped). */
  private static DMatrixRMaj rowsOf(DMatrixRMaj M, int r0, int r1, DMatrixRMaj into) {
    into.reshape(r1 - r0, M.numCols);
    System.arraycopy(M.data, r0 * M.numCols, into.data, 0, (r1 - r0) * M.numCols);
    return into;
  }
}
