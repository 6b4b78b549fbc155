package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;
import io.sparkattention.kernel.impl.Blocks;
import java.io.Serializable;
import org.ejml.data.DMatrixRMaj;

/**
 * The one contract of every mergeable partial result in the kernel: the attention (or pooling) of
 * some query rows over one subset of the keys, kept in a form that merges with the state of any
 * disjoint subset into the state of their union. A distributed job splits the keys, computes a
 * state per split anywhere, and merges. Implementations:
 *
 * <ul>
 *   <li>{@link PartialAttention}: soft attention, local-p and attention pooling ({@link
 *       PoolingOps#partial} is a one-row state), merged by log-sum-exp rescaling;
 *   <li>{@link HardAttention}: hard attention, argmax or Gumbel-sampled, merged by best score, ties
 *       to the lower key position.
 * </ul>
 *
 * <p>Like Commons Numbers' {@code Sum}, a state is a mutable accumulator: {@link #mergeFrom} folds
 * another state into this one, {@link #merge} leaves both inputs alone and returns a new state, and
 * {@link #identity} is the state that has seen no key. Like DataSketches' {@code KllSketch.merge},
 * the public merge checks its argument once and delegates to the implementation's loop.
 *
 * <h2>Algebra</h2>
 *
 * Write {@code a ⊕ b} for {@code a.merge(b)}, with {@code a}, {@code b}, {@code c} states of the
 * same rows and value width (and, for hard attention, the same mode and seed) over disjoint key
 * sets. Then:
 *
 * <ul>
 *   <li><b>Identity</b>: {@code a ⊕ a.identity()} and {@code a.identity() ⊕ a} equal {@code a} bit
 *       for bit (soft: the rescaling factors are exactly 1 and 0; the one exception, a {@code -0.0}
 *       that a state built with {@code of} may hold, comes back as {@code +0.0}).
 *   <li><b>Commutativity</b>, bit for bit: {@code a ⊕ b} equals {@code b ⊕ a}. Soft states rescale
 *       both sides by one symmetric formula, {@code x·f₁ + y·f₂} with {@code fᵢ = exp(mᵢ − m)}, and
 *       IEEE addition and multiplication commute; hard states keep the greater (score, −key) pair
 *       per row, a total order.
 *   <li><b>Associativity</b>: hard, exact ({@code (a ⊕ b) ⊕ c} and {@code a ⊕ (b ⊕ c)} equal bit
 *       for bit). Soft, exact for the row maxima but only to rounding for the normalisers and value
 *       sums: every merge rounds its rescaling and its sum, so merging in another tree changes the
 *       last bits (a relative difference of a few ulp per merge level; the tests hold outputs to
 *       1e-12). Callers that must write the same bits on every run merge in one canonical order.
 *   <li><b>Split then merge</b>: merging the states of the parts of any split of the keys gives the
 *       state of the unsplit keys: for hard attention exactly, as long as the matrix engine gives a
 *       score the same bits in any block (the choice is a function of the scores and positions;
 *       sampling noise too depends on positions only); for soft attention to rounding (the unsplit
 *       block kernel sums in another order).
 *   <li><b>Fully masked rows</b>: a row that saw no allowed key holds the identity's row (soft: max
 *       −∞, sum 0, values 0; hard: key −1, score −∞, value 0). It merges like the identity, and
 *       {@link #output} gives zeros for it, never NaN.
 * </ul>
 *
 * Soft states count every key they were given: a key in both {@code a} and {@code b} is weighted
 * twice in {@code a ⊕ b}, so their key sets must be disjoint. Hard states are also idempotent.
 *
 * <p>Implementations live in this package only (the constructor is package-private): the block
 * update that {@link AttentionOps#accumulate} runs is a package-private part of this contract.
 *
 * @param <S> the implementing state type: states merge only with their own kind
 */
public abstract class MergeableState<S extends MergeableState<S>> implements Serializable {
  private static final long serialVersionUID = 1L;

  MergeableState() {}

  /** Number of query rows. */
  public abstract int rows();

  /** Width of the values (and of the output). */
  public abstract int valueDim();

  /**
   * The identity of {@link #merge}: a state of the same rows, width (and mode) that has seen no
   * key.
   */
  public abstract S identity();

  /** An independent copy of this state. */
  public abstract S copy();

  /** The output, rows×valueDim; zeros for rows that saw no allowed key. */
  public abstract DMatrixRMaj output();

  /** {@code this ⊕ other} as a new state; neither input changes. */
  public final S merge(S other) {
    return copy().mergeFrom(other);
  }

  /**
   * Folds {@code other} (the same rows, attention over a disjoint key set) into this state.
   *
   * @return this
   * @throws IllegalArgumentException if the shapes differ, or the states cannot merge (hard
   *     attention of different modes or seeds)
   */
  public final S mergeFrom(S other) {
    if (other.rows() != rows() || other.valueDim() != valueDim()) {
      throw new IllegalArgumentException(
          "cannot merge "
              + getClass().getSimpleName()
              + " states of "
              + Blocks.shape(rows(), valueDim())
              + " and "
              + Blocks.shape(other.rows(), other.valueDim()));
    }
    mergeRows(other);
    return self();
  }

  /**
   * The merge itself, row by row, for an {@code other} of the same shape. Throws before changing
   * anything if {@code other} cannot merge into this state for another reason.
   */
  abstract void mergeRows(S other);

  /**
   * Folds one block of keys {@code K}, values {@code V} into the state of queries {@code Q}, at the
   * positions {@code block} places them, each query row seeing the keys {@code block} allows it,
   * scored by {@code rule}. Called by {@link AttentionOps#accumulate} after its checks.
   */
  abstract void accumulateBlock(
      DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, ScoreRule rule, BlockScratch block);

  @SuppressWarnings("unchecked")
  private S self() {
    return (S) this;
  }
}
