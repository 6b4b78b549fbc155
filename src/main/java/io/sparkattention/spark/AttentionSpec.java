package io.sparkattention.spark;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import java.io.Serializable;

/**
 * What to compute and how to split it.
 *
 * @param mask the attention mask (global: none; local: window; causal: causal or causal window)
 * @param numHeads heads, ≥ 1
 * @param weights projections ({@link AttentionWeights#none()} for Q = K = V = x)
 * @param strategy the split, or {@link Strategy#AUTO}
 * @param blockSize kernel block rows, ≥ 1
 * @param queryTileBlocks query blocks per task
 * @param keyTileBlocks key blocks per task
 * @param partitions partitions of the attention stage; 0 picks one from Spark's parallelism
 * @param selection soft (softmax) or hard (argmax or Gumbel-sampled) attention
 * @param localPWindow Luong local-p's window half-width D ≥ 1 (softmax only; the mask is then none
 *     and the weights need {@code wp, vp}), or 0 for attention under {@code mask}
 */
public record AttentionSpec(
    Mask mask,
    int numHeads,
    AttentionWeights weights,
    Strategy strategy,
    int blockSize,
    int queryTileBlocks,
    int keyTileBlocks,
    int partitions,
    Selection selection,
    int localPWindow)
    implements Serializable {

  public AttentionSpec {
    if (selection == null) {
      throw new IllegalArgumentException("selection is required (Selection.soft() for softmax)");
    }
    if (numHeads < 1) {
      throw new InputException("--heads must be >= 1, got " + numHeads);
    }
    if (blockSize < 1) {
      throw new InputException("--block-size must be >= 1, got " + blockSize);
    }
    if (queryTileBlocks < 1 || keyTileBlocks < 1) {
      throw new InputException("tile sizes must be >= 1 block");
    }
    if (partitions < 0) {
      throw new InputException("--partitions must be >= 0, got " + partitions);
    }
    if (localPWindow < 0) {
      throw new InputException("local-p window must be >= 1, got " + localPWindow);
    }
    if (localPWindow > 0 && selection.isHard()) {
      throw new IllegalArgumentException("local-p is soft attention");
    }
  }

  /** Attention under {@code mask} with {@code selection} (not local-p). */
  public AttentionSpec(
      Mask mask,
      int numHeads,
      AttentionWeights weights,
      Strategy strategy,
      int blockSize,
      int queryTileBlocks,
      int keyTileBlocks,
      int partitions,
      Selection selection) {
    this(
        mask,
        numHeads,
        weights,
        strategy,
        blockSize,
        queryTileBlocks,
        keyTileBlocks,
        partitions,
        selection,
        0);
  }

  /** Softmax attention under {@code mask} (see the canonical constructor). */
  public AttentionSpec(
      Mask mask,
      int numHeads,
      AttentionWeights weights,
      Strategy strategy,
      int blockSize,
      int queryTileBlocks,
      int keyTileBlocks,
      int partitions) {
    this(
        mask,
        numHeads,
        weights,
        strategy,
        blockSize,
        queryTileBlocks,
        keyTileBlocks,
        partitions,
        Selection.soft());
  }

  /** Whether this is Luong local-p attention (window half-width {@link #localPWindow()}). */
  public boolean isLocalP() {
    return localPWindow > 0;
  }

  /** This spec with other weights. */
  public AttentionSpec withWeights(AttentionWeights w) {
    return new AttentionSpec(
        mask,
        numHeads,
        w,
        strategy,
        blockSize,
        queryTileBlocks,
        keyTileBlocks,
        partitions,
        selection,
        localPWindow);
  }

  /** A spec with default tiles and partitions. */
  public static AttentionSpec of(
      Mask mask, int numHeads, AttentionWeights weights, Strategy strategy, int blockSize) {
    return new AttentionSpec(
        mask,
        numHeads,
        weights,
        strategy,
        blockSize,
        PlanOptions.DEFAULT_QUERY_TILE_BLOCKS,
        PlanOptions.DEFAULT_KEY_TILE_BLOCKS,
        0);
  }

  /** The plan options of this spec with the strategy resolved ({@link Strategy#AUTO} chosen). */
  public PlanOptions planOptions(Strategy resolved) {
    return new PlanOptions(resolved, mask, blockSize, numHeads, queryTileBlocks, keyTileBlocks);
  }
}
