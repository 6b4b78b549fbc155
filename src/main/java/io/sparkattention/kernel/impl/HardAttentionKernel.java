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
   * Folds keys {@code K}, values {@code V} at positions {@code kPos0 …} into the state of queries
   * {@code Q} at positions {@code qPos0 …}.
   *
   * @param scale score scale ({@code 1/sqrt(d)} by default)
   * @param rule the softcap and ALiBi bias applied after scaling ({@link ScoreRule#transform})
   * @param sample whether to add Gumbel noise
   * @param seed the noise seed (ignored without sampling)
   * @param bestScore per row the best (noisy) scaled score so far (modified)
   * @param bestKey per row the position of the best key so far, -1 for none (modified)
   * @param bestValue m×dv, per row the value of the best key (modified)
   * @param block each query row's allowed key interval ({@link BlockScratch#allow}), and the m×nk
   *     scores (reshaped, overwritten)
   */
  public static void accumulate(
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      double scale,
      ScoreRule rule,
      boolean sample,
      long seed,
      double[] bestScore,
      long[] bestKey,
      DMatrixRMaj bestValue,
      BlockScratch block,
      MatrixEngine engine) {
    final int m = Q.numRows;
    final int nk = K.numRows;
    final int dv = V.numCols;
    Blocks.requireBlock(bestValue.numRows, bestValue.numCols, Q, K, V);
    final long[] lo = block.lo;
    final long[] hi = block.hi;
    assert lo.length >= m && bestScore.length >= m && bestKey.length >= m;
    if (m == 0 || nk == 0 || !Blocks.anyRowSees(0, m, lo, hi, kPos0, kPos0 + nk - 1)) {
      return;
    }
    final DMatrixRMaj S = block.scores;
    S.reshape(m, nk);
    // s_ij = rule(q_i·k_j · scale) (+ Gumbel noise g(seed, q, k))
    engine.multTransB(Q, K, S);
    final double[] s = S.data;
    final boolean transform = !rule.isScaleOnly();
    for (int i = 0; i < m; i++) {
      final int rowOff = i * nk;
      final int first = Blocks.first(lo[i], kPos0, nk);
      final int last = Blocks.last(hi[i], kPos0, nk);
      int best = -1;
      double bestHere = Double.NEGATIVE_INFINITY;
      for (int j = first; j <= last; j++) {
        double v = s[rowOff + j] * scale;
        if (transform) {
          v = rule.transform(v, qPos0 + i, kPos0 + j);
        }
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
