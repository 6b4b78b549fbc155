package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.kernel.ScoreRule;
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
   * Folds keys {@code K}, values {@code V} into the state of queries {@code Q}, at the positions
   * {@code block} places them ({@link BlockScratch#place}).
   *
   * @param rule the scale, and the softcap and ALiBi bias applied after scaling ({@link
   *     ScoreRule#transform})
   * @param sample whether to add Gumbel noise
   * @param seed the noise seed (ignored without sampling)
   * @param bestScore per row the best (noisy) scaled score so far (modified)
   * @param bestKey per row the position of the best key so far, -1 for none (modified)
   * @param bestValue m×dv, per row the value of the best key (modified)
   * @param block the block's place, each query row's allowed key interval, and the m×nk scores
   *     (reshaped, overwritten)
   */
  public static void accumulate(
      DMatrixRMaj Q,
      DMatrixRMaj K,
      DMatrixRMaj V,
      ScoreRule rule,
      boolean sample,
      long seed,
      double[] bestScore,
      long[] bestKey,
      DMatrixRMaj bestValue,
      BlockScratch block,
      MatrixEngine engine) {
    Blocks.requireBlock(bestValue.numRows, bestValue.numCols, Q, K, V);
    final int m = Q.numRows;
    final int nk = K.numRows;
    final long kPos0 = block.kPos0;
    final int[] runs = block.runs(nk);
    assert block.lo.length >= m && bestScore.length >= m && bestKey.length >= m;
    final long[] kp = block.keyPos; // null: key j at kPos0 + j
    if (m == 0
        || nk == 0
        || !Blocks.anyRowSees(0, m, block, kPos0, kp == null ? kPos0 + nk - 1 : kp[nk - 1])) {
      return; // no row sees any of these keys: the product would be wasted
    }
    final DMatrixRMaj S = block.scores;
    S.reshape(m, nk);
    // s_ij = rule(q_i·k_j · scale) (+ Gumbel noise g(seed, q, k))
    engine.multTransB(Q, K, S);
    final double[] s = S.data;
    final double scale = rule.scale(Q.numCols);
    final boolean transform = !rule.isScaleOnly();
    final long qPos0 = block.qPos0;
    final int dv = V.numCols;
    for (int i = 0; i < m; i++) {
      final int rowOff = i * nk;
      // the row's allowed keys: runs [runs[0], runs[1]], [runs[2], runs[3]], … (global keys)
      final int nRuns = Blocks.runs(block, i, kPos0, nk, runs);
      int best = -1;
      double bestHere = Double.NEGATIVE_INFINITY;
      for (int u = 0; u < nRuns; u++) {
        for (int j = runs[2 * u], last = runs[2 * u + 1]; j <= last; j++) {
          double v = s[rowOff + j] * scale;
          final long k = kp == null ? kPos0 + j : kp[j];
          if (transform) {
            v = rule.transform(v, qPos0 + i, k);
          }
          if (sample) {
            v += GumbelNoise.sample(seed, qPos0 + i, k);
          }
          // strict '>' keeps the lowest position among equal scores
          if (best < 0 || v > bestHere) {
            best = j;
            bestHere = v;
          }
        }
      }
      if (best < 0) {
        continue;
      }
      long key = kp == null ? kPos0 + best : kp[best];
      if (beats(bestHere, key, bestScore[i], bestKey[i])) {
        bestScore[i] = bestHere;
        bestKey[i] = key;
        System.arraycopy(V.data, best * dv, bestValue.data, i * dv, dv);
      }
    }
  }

  /**
   * The order hard attention chooses by, in the block update and in every merge: whether a key at
   * position {@code key} (≥ 0) with score {@code score} beats the best so far ({@code bestKey} −1
   * for none). The higher score wins; equal scores go to the lower position, so the choice does not
   * depend on how the keys were split or in what order the parts merge.
   */
  public static boolean beats(double score, long key, double bestScore, long bestKey) {
    return bestKey < 0 || score > bestScore || (score == bestScore && key < bestKey);
  }
}
