package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;
import io.sparkattention.kernel.impl.HardAttentionKernel;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * Hard attention of a block of query rows over some subset of the keys, mergeable like {@link
 * PartialAttention}: per row the best scaled score seen, the absolute position of its key and a
 * copy of that key's value. The best score wins; equal scores go to the lowest key position, so the
 * choice is the same however the keys were split. In sampling mode each score carries Gumbel noise
 * drawn from (seed, query position, key position): the choice is then a sample from the softmax
 * (the Gumbel-max trick), again independent of the split.
 *
 * <p>A {@link MergeableState}: the merge is commutative and associative bit for bit, idempotent,
 * and has the empty state of the same mode and seed ({@link #identity}) as identity. A row that saw
 * no allowed key has key −1 and outputs zeros.
 */
public final class HardAttention extends MergeableState<HardAttention> {
  private static final long serialVersionUID = 1L;

  final boolean sample;
  final long seed;
  final double[] bestScore;
  final long[] bestKey;
  final DMatrixRMaj bestValue;

  private HardAttention(
      boolean sample, long seed, double[] bestScore, long[] bestKey, DMatrixRMaj bestValue) {
    this.sample = sample;
    this.seed = seed;
    this.bestScore = bestScore;
    this.bestKey = bestKey;
    this.bestValue = bestValue;
  }

  /** Identity for deterministic hard attention (argmax of the scores). */
  public static HardAttention argmax(int rows, int valueDim) {
    return empty(false, 0L, rows, valueDim);
  }

  /** Identity for sampled hard attention (argmax of scores plus Gumbel noise from {@code seed}). */
  public static HardAttention sampled(int rows, int valueDim, long seed) {
    return empty(true, seed, rows, valueDim);
  }

  private static HardAttention empty(boolean sample, long seed, int rows, int valueDim) {
    if (rows < 0 || valueDim < 0) {
      throw new IllegalArgumentException(
          "rows and valueDim must be >= 0, got " + rows + " and " + valueDim);
    }
    double[] score = new double[rows];
    Arrays.fill(score, Double.NEGATIVE_INFINITY);
    long[] key = new long[rows];
    Arrays.fill(key, -1L);
    return new HardAttention(sample, seed, score, key, new DMatrixRMaj(rows, valueDim));
  }

  /**
   * A state from its parts (as read back from storage or a shuffle); the arrays are copied.
   *
   * @param sample whether the scores carry Gumbel noise
   * @param seed the noise seed (0 for argmax)
   * @param bestScore per row the best (noisy) scaled score, −∞ for a row with no key
   * @param bestKey per row the chosen key position, −1 for none
   * @param bestValue rows×dv, per row the chosen key's value (zeros for none)
   * @throws IllegalArgumentException if the lengths disagree, a chosen row's score is not finite, a
   *     row without a key has a score other than −∞ or a non-zero value, or a value is not finite
   */
  public static HardAttention of(
      boolean sample, long seed, double[] bestScore, long[] bestKey, DMatrixRMaj bestValue) {
    int rows = bestKey.length;
    if (bestScore.length != rows || bestValue.numRows != rows) {
      throw new IllegalArgumentException(
          "hard state parts disagree: "
              + bestScore.length
              + " scores, "
              + rows
              + " keys, "
              + bestValue.numRows
              + " value rows");
    }
    final int dv = bestValue.numCols;
    for (int i = 0; i < rows; i++) {
      if (bestKey[i] < -1) {
        throw new IllegalArgumentException("row " + i + ": key is " + bestKey[i]);
      }
      if (bestKey[i] >= 0 && !Double.isFinite(bestScore[i])) {
        // an overflowing score would otherwise win or lose every later merge silently
        throw new IllegalArgumentException("row " + i + ": score is " + bestScore[i]);
      }
      if (bestKey[i] < 0) {
        if (bestScore[i] != Double.NEGATIVE_INFINITY) {
          throw new IllegalArgumentException(
              "row " + i + ": no key but score " + bestScore[i] + " (must be -Infinity)");
        }
        for (int c = 0; c < dv; c++) {
          if (bestValue.data[i * dv + c] != 0) {
            throw new IllegalArgumentException("row " + i + ": no key but a non-zero value");
          }
        }
      }
    }
    Checks.requireFinite(bestValue, "bestValue");
    return new HardAttention(sample, seed, bestScore.clone(), bestKey.clone(), bestValue.copy());
  }

  @Override
  public int rows() {
    return bestKey.length;
  }

  @Override
  public int valueDim() {
    return bestValue.numCols;
  }

  /** Whether this state samples (Gumbel-max) rather than taking the plain argmax. */
  public boolean isSampled() {
    return sample;
  }

  /** The sampling seed (0 for argmax). */
  public long seed() {
    return seed;
  }

  /** Row {@code i}'s chosen key position, −1 if it saw no allowed key. */
  public long chosenKey(int i) {
    return bestKey[i];
  }

  /** Row {@code i}'s best (noisy, when sampling) scaled score; −∞ if none. */
  public double bestScore(int i) {
    return bestScore[i];
  }

  /** Column {@code c} of row {@code i}'s chosen value (0 if it saw no allowed key). */
  public double chosenValue(int i, int c) {
    return bestValue.get(i, c);
  }

  /** The empty state of this state's shape, mode and seed. */
  @Override
  public HardAttention identity() {
    return empty(sample, seed, rows(), valueDim());
  }

  @Override
  public HardAttention copy() {
    return new HardAttention(sample, seed, bestScore.clone(), bestKey.clone(), bestValue.copy());
  }

  /** Folds {@code other} in: per row the higher score wins, ties to the lower key. */
  @Override
  void mergeRows(HardAttention other) {
    if (other.sample != sample || other.seed != seed) {
      throw new IllegalArgumentException("cannot merge hard states of different modes or seeds");
    }
    final int dv = valueDim();
    for (int i = 0; i < rows(); i++) {
      long k = other.bestKey[i];
      if (k >= 0 && HardAttentionKernel.beats(other.bestScore[i], k, bestScore[i], bestKey[i])) {
        bestScore[i] = other.bestScore[i];
        bestKey[i] = k;
        System.arraycopy(other.bestValue.data, i * dv, bestValue.data, i * dv, dv);
      }
    }
  }

  @Override
  void accumulateBlock(
      DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, ScoreRule rule, BlockScratch block) {
    HardAttentionKernel.accumulate(
        Q,
        K,
        V,
        rule,
        sample,
        seed,
        bestScore,
        bestKey,
        bestValue,
        block,
        MatrixEngine.defaultEngine());
  }

  /** The chosen values, rows×dv; zeros for rows with no allowed key. */
  @Override
  public DMatrixRMaj output() {
    return bestValue.copy();
  }
}
