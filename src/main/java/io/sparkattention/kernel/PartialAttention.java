package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;
import io.sparkattention.kernel.impl.OnlineSoftmaxKernel;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * Soft attention of a block of query rows over some subset of the keys, kept in a form that merges
 * exactly with the attention over any disjoint subset: per row the running max {@code m}, the
 * normaliser {@code l = Σ exp(s_j - m)} and the unnormalised value sum {@code a = Σ exp(s_j - m)
 * g_j v_j} (the online-softmax / log-sum-exp rule; Milakov and Gimelshein 2018). The log-sum-exp of
 * a row is {@code m + log l}; its output is {@code a / l}.
 *
 * <p>A {@link MergeableState} (which says exactly what holds): {@link #merge} is commutative bit
 * for bit, associative up to rounding and has {@link #empty} as identity. A row that saw no allowed
 * key has {@code m = -∞, l = 0, a = 0} and outputs zeros, never NaN. Attention pooling's state
 * ({@link PoolingOps#partial}) is a one-row {@code PartialAttention} over the pooled rows.
 */
public final class PartialAttention extends MergeableState<PartialAttention> {
  private static final long serialVersionUID = 1L;

  final double[] max;
  final double[] sum;
  final DMatrixRMaj acc;

  private PartialAttention(double[] max, double[] sum, DMatrixRMaj acc) {
    this.max = max;
    this.sum = sum;
    this.acc = acc;
  }

  /**
   * The identity: {@code rows} query rows that have seen no key yet.
   *
   * @param rows number of query rows, ≥ 0
   * @param valueDim width of the values, ≥ 0
   */
  public static PartialAttention empty(int rows, int valueDim) {
    if (rows < 0 || valueDim < 0) {
      throw new IllegalArgumentException(
          "rows and valueDim must be >= 0, got " + rows + " and " + valueDim);
    }
    double[] max = new double[rows];
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    return new PartialAttention(max, new double[rows], new DMatrixRMaj(rows, valueDim));
  }

  /**
   * A state from its parts (as read back from storage); the arrays are copied.
   *
   * @param max per row the running max (−∞ for a row with no key)
   * @param sum per row the normaliser {@code Σ exp(s_j - max)}
   * @param weightedValues rows×dv unnormalised value sums
   * @throws IllegalArgumentException if the lengths disagree, a value is NaN (or infinite, except a
   *     −∞ max), or a row has −∞ max with a non-zero sum
   */
  public static PartialAttention of(double[] max, double[] sum, DMatrixRMaj weightedValues) {
    int rows = max.length;
    if (sum.length != rows || weightedValues.numRows != rows) {
      throw new IllegalArgumentException(
          "partial state parts disagree: "
              + rows
              + " maxima, "
              + sum.length
              + " sums, "
              + weightedValues.numRows
              + " value rows");
    }
    for (int i = 0; i < rows; i++) {
      if (Double.isNaN(max[i]) || max[i] == Double.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("row " + i + ": max is " + max[i]);
      }
      if (!(sum[i] >= 0) || Double.isInfinite(sum[i])) {
        throw new IllegalArgumentException("row " + i + ": sum is " + sum[i]);
      }
      if (max[i] == Double.NEGATIVE_INFINITY && sum[i] != 0) {
        throw new IllegalArgumentException("row " + i + ": max is -Infinity but sum is " + sum[i]);
      }
    }
    // a NaN here would otherwise pass silently into every later merge and output
    Checks.requireFinite(weightedValues, "weightedValues");
    return new PartialAttention(max.clone(), sum.clone(), weightedValues.copy());
  }

  @Override
  public int rows() {
    return max.length;
  }

  @Override
  public int valueDim() {
    return acc.numCols;
  }

  /** Row {@code i}'s running max of the scaled scores (−∞ before any allowed key). */
  public double max(int i) {
    return max[i];
  }

  /** Row {@code i}'s normaliser {@code Σ exp(s_j - max)} (0 before any allowed key). */
  public double sum(int i) {
    return sum[i];
  }

  /** Row {@code i}'s log-sum-exp of the scaled scores, {@code max + log(sum)}; −∞ with no key. */
  public double logSumExp(int i) {
    return sum[i] == 0 ? Double.NEGATIVE_INFINITY : max[i] + Math.log(sum[i]);
  }

  /** Element (i, c) of the unnormalised weighted value sum. */
  public double weightedValue(int i, int c) {
    return acc.get(i, c);
  }

  /** A copy of the rows×dv unnormalised weighted value sums. */
  public DMatrixRMaj weightedValues() {
    return acc.copy();
  }

  /** {@link #empty} of this state's shape. */
  @Override
  public PartialAttention identity() {
    return empty(rows(), valueDim());
  }

  @Override
  public PartialAttention copy() {
    return new PartialAttention(max.clone(), sum.clone(), acc.copy());
  }

  /**
   * Folds {@code other} in: {@code m = max(m₁, m₂)}, {@code l = l₁e^{m₁-m} + l₂e^{m₂-m}}, {@code a
   * = a₁e^{m₁-m} + a₂e^{m₂-m}}.
   */
  @Override
  void mergeRows(PartialAttention other) {
    final int dv = valueDim();
    final double[] a = acc.data;
    final double[] b = other.acc.data;
    for (int i = 0; i < max.length; i++) {
      double m1 = max[i];
      double m2 = other.max[i];
      double m = Math.max(m1, m2);
      if (m == Double.NEGATIVE_INFINITY) {
        continue; // neither side has seen a key
      }
      // Written symmetrically so that a ⊕ b and b ⊕ a round identically.
      double f1 = m1 == Double.NEGATIVE_INFINITY ? 0.0 : Math.exp(m1 - m);
      double f2 = m2 == Double.NEGATIVE_INFINITY ? 0.0 : Math.exp(m2 - m);
      max[i] = m;
      sum[i] = sum[i] * f1 + other.sum[i] * f2;
      for (int c = i * dv, end = c + dv; c < end; c++) {
        a[c] = a[c] * f1 + b[c] * f2;
      }
    }
  }

  @Override
  void accumulateBlock(
      DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, ScoreRule rule, BlockScratch block) {
    OnlineSoftmaxKernel.accumulate(
        Q, K, V, null, 0.0, rule, max, sum, acc, block, MatrixEngine.defaultEngine());
  }

  /**
   * The online-softmax update over one key block, each row seeing the keys {@code block} allows it;
   * with {@code centres}, local-p's Gaussian of deviation {@code sigma} weights the values.
   */
  void accumulateBlock(
      DMatrixRMaj Q,
      DMatrixRMaj K,
      DMatrixRMaj V,
      BlockScratch block,
      double[] centres,
      double sigma) {
    OnlineSoftmaxKernel.accumulate(
        Q,
        K,
        V,
        centres,
        sigma,
        ScoreRule.standard(),
        max,
        sum,
        acc,
        block,
        MatrixEngine.defaultEngine());
  }

  /** The attention output {@code a / l}, rows×dv; zeros for rows that saw no allowed key. */
  @Override
  public DMatrixRMaj output() {
    DMatrixRMaj out = new DMatrixRMaj(rows(), valueDim());
    output(out, 0);
    return out;
  }

  /**
   * Writes the attention output into rows {@code rowOffset …} of {@code out}.
   *
   * @param out a matrix with at least {@code rowOffset + rows()} rows and {@code valueDim()}
   *     columns (modified)
   */
  public void output(DMatrixRMaj out, int rowOffset) {
    final int dv = valueDim();
    if (out.numCols != dv || out.numRows < rowOffset + rows()) {
      throw new IllegalArgumentException(
          "output is "
              + out.numRows
              + "×"
              + out.numCols
              + ", needs "
              + (rowOffset + rows())
              + "×"
              + dv);
    }
    for (int i = 0; i < rows(); i++) {
      // o_i = a_i / l_i; a row with no key outputs zeros (l_i = 0)
      double inv = sum[i] == 0 ? 0.0 : 1.0 / sum[i];
      int src = i * dv;
      int dst = (rowOffset + i) * dv;
      for (int c = 0; c < dv; c++) {
        out.data[dst + c] = acc.data[src + c] * inv;
      }
    }
  }
}
