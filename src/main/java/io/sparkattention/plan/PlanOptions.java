package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.io.Serializable;

/**
 * What {@link AttentionPlan} needs besides the lengths.
 *
 * @param strategy how to split (not {@link Strategy#AUTO})
 * @param mask the attention mask on absolute positions
 * @param blockSize rows of one kernel block (queries and keys), ≥ 1
 * @param numHeads number of heads, ≥ 1
 * @param queryTileBlocks query blocks per task (blocks, window, heads), ≥ 1
 * @param keyTileBlocks key blocks per task (blocks, heads), ≥ 1
 */
public record PlanOptions(
    Strategy strategy,
    Mask mask,
    int blockSize,
    int numHeads,
    int queryTileBlocks,
    int keyTileBlocks)
    implements Serializable {

  /**
   * Default tile sizes. 16 query blocks × 32 key blocks: for a 65,536-token sequence with blocks of
   * 1,024 that is 4 query tiles × 2 key groups = 8 tasks, each holding 16,384 queries (about 8 MB
   * of queries and 8 MB of state at d = 64), while every key is shuffled to 4 tasks and every query
   * to 2: far less data moved than one task per block pair (64 copies of each).
   */
  public static final int DEFAULT_QUERY_TILE_BLOCKS = 16;

  public static final int DEFAULT_KEY_TILE_BLOCKS = 32;

  public PlanOptions {
    if (strategy == null || mask == null) {
      throw new IllegalArgumentException("strategy and mask are required");
    }
    if (blockSize < 1) {
      throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
    }
    if (numHeads < 1) {
      throw new IllegalArgumentException("number of heads must be >= 1, got " + numHeads);
    }
    if (queryTileBlocks < 1 || keyTileBlocks < 1) {
      throw new IllegalArgumentException(
          "tile sizes must be >= 1 block, got " + queryTileBlocks + " and " + keyTileBlocks);
    }
  }

  /** Options with the default tile sizes. */
  public static PlanOptions of(Strategy strategy, Mask mask, int blockSize, int numHeads) {
    return new PlanOptions(
        strategy, mask, blockSize, numHeads, DEFAULT_QUERY_TILE_BLOCKS, DEFAULT_KEY_TILE_BLOCKS);
  }

  public PlanOptions withStrategy(Strategy s) {
    return new PlanOptions(s, mask, blockSize, numHeads, queryTileBlocks, keyTileBlocks);
  }
}
