package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import org.ejml.data.DMatrixRMaj;

/**
 * Hard attention's block update: per query row keep the best score seen, the absolute position of
 * its key and a copy of its value. Ties go to the lowest key position, so the result does not
 * depend on how the keys were split. With {@code noise}, each score gets the Gumbel noise of its
 * (seed, query position, key position): the Gumbel-max trick, which samples from the softmax.
 */
public final class HardAttentionKernel {
  private HardAttentionKernel() {}

  /**
   * Folds keys {@code K}, values {@code V} at positions {@code kPos0 …} into the state of queries
   * {@code Q} at positions {@code qPos0 …}.
   *
   * @param lo per query row, the first allowed absolute key position (inclusive)
   * @param hi per query row, the last allowed absolute key position (inclusive)
   * @param sample whether to add Gumbel noise
   * @param seed the noise seed (ignored without sampling)
   * @param bestScore per row the best (noisy) scaled score so far (modified)
   * @param bestKey per row the position of the best key so far, -1 for none (modified)
   * @param bestValue m×dv, per row the value of the best key (modified)
   * @param S workspace for the m×nk scores (reshaped, overwritten)
   */
  public static void accumulate(
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      long[] lo,
      long[] hi,
      double scale,
      boolean sample,
      long seed,
      double[] bestScore,
      long[] bestKey,
      DMatrixRMaj bestValue,
      DMatrixRMaj S,
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
              + V.numCols);
    }
    if (bestValue.numRows != m || bestValue.numCols != dv) {
      throw new IllegalArgumentException(
          "state is "
              + bestValue.numRows
              + "×"
              + bestValue.numCols
              + " but queries × values are "
              + m
              + "×"
              + dv);
    }
    if (m == 0
        || nk == 0
        || !OnlineSoftmaxKernel.anyRowSeesBlock(m, lo, hi, kPos0, kPos0 + nk - 1)) {
      return;
    }
    S.reshape(m, nk);
    // s_ij = q_i·k_j · scale (+ Gumbel noise g(seed, q, k))
    engine.multTransB(Q, K, S);
    final double[] s = S.data;
    for (int i = 0; i < m; i++) {
      final int rowOff = i * nk;
      final int first = (int) Math.max(0, Math.min(nk, lo[i] - kPos0));
      final int last = (int) Math.min(nk - 1, Math.max(-1, hi[i] - kPos0));
      int best = -1;
      double bestHere = Double.NEGATIVE_INFINITY;
      for (int j = first; j <= last; j++) {
        double v = s[rowOff + j] * scale;
        if (sample) {
          v += GumbelNoise.sample(seed, qPos0 + i, kPos0 + j);
        }
        // strict '>' keeps the lowest position among equal scores
        if (best < 0 || v > bestHere) {
          best = j;
          bestHere = v;
        }
      }
      if (best < 0) {
        continue;
      }
      long key = kPos0 + best;
      if (bestKey[i] < 0
          || bestHere > bestScore[i]
          || (bestHere == bestScore[i] && key < bestKey[i])) {
        bestScore[i] = bestHere;
        bestKey[i] = key;
        System.arraycopy(V.data, best * dv, bestValue.data, i * dv, dv);
      }
    }
  }
}
