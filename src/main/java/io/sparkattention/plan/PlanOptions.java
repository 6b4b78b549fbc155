package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.io.Serializable;
import java.util.Objects;

/**
 * What {@link AttentionPlan} needs besides the lengths: the strategy, the mask, the block size, the
 * head count and the tile sizes. Made only by {@link #builder()}, which checks every field in one
 * place; unset parts take their defaults (no mask, one head, {@link #DEFAULT_QUERY_TILE_BLOCKS} ×
 * {@link #DEFAULT_KEY_TILE_BLOCKS} tiles).
 *
 * <pre>{@code
 * PlanOptions o = PlanOptions.builder().strategy(Strategy.BLOCKS).mask(Mask.causal())
 *     .blockSize(1024).numHeads(8).build();
 * }</pre>
 */
public final class PlanOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Default tile sizes. 16 query blocks × 32 key blocks: for a 65,536-token sequence with blocks of
   * 1,024 that is 4 query tiles × 2 key groups = 8 tasks, each holding 16,384 queries (about 8 MB
   * of queries and 8 MB of state at d = 64), while every key is shuffled to 4 tasks and every query
   * to 2: far less data moved than one task per block pair (64 copies of each).
   */
  public static final int DEFAULT_QUERY_TILE_BLOCKS = 16;

  /** Default key blocks per task: see {@link #DEFAULT_QUERY_TILE_BLOCKS}. */
  public static final int DEFAULT_KEY_TILE_BLOCKS = 32;

  private final Strategy strategy;
  private final Mask mask;
  private final int blockSize;
  private final int numHeads;
  private final int kvHeads;
  private final int queryTileBlocks;
  private final int keyTileBlocks;
  private final boolean wholeSequences;

  private PlanOptions(Builder b) {
    if (b.strategy == null || b.mask == null) {
      throw new IllegalArgumentException("strategy and mask are required");
    }
    if (b.blockSize < 1) {
      throw new IllegalArgumentException("block size must be >= 1, got " + b.blockSize);
    }
    if (b.numHeads < 1) {
      throw new IllegalArgumentException("number of heads must be >= 1, got " + b.numHeads);
    }
    int kv = b.kvHeads == 0 ? b.numHeads : b.kvHeads;
    if (kv < 1 || kv > b.numHeads || b.numHeads % kv != 0) {
      throw new IllegalArgumentException(
          kv + " key/value heads do not divide " + b.numHeads + " query heads");
    }
    if (b.queryTileBlocks < 1 || b.keyTileBlocks < 1) {
      throw new IllegalArgumentException(
          "tile sizes must be >= 1 block, got " + b.queryTileBlocks + " and " + b.keyTileBlocks);
    }
    this.strategy = b.strategy;
    this.mask = b.mask;
    this.blockSize = b.blockSize;
    this.numHeads = b.numHeads;
    this.kvHeads = kv;
    this.queryTileBlocks = b.queryTileBlocks;
    this.keyTileBlocks = b.keyTileBlocks;
    this.wholeSequences = b.wholeSequences;
  }

  /** An empty builder: set the strategy and the block size, the rest has defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** How to split (a plan needs it resolved: not {@link Strategy#AUTO}). */
  public Strategy strategy() {
    return strategy;
  }

  /** The attention mask on absolute positions. */
  public Mask mask() {
    return mask;
  }

  /** Rows of one kernel block (queries and keys), ≥ 1. */
  public int blockSize() {
    return blockSize;
  }

  /** Number of heads, ≥ 1. */
  public int numHeads() {
    return numHeads;
  }

  /**
   * Key/value heads, dividing {@link #numHeads()} (grouped-query attention when fewer): the head
   * split keeps each key/value head's query heads together.
   */
  public int kvHeads() {
    return kvHeads;
  }

  /** Query blocks per task (blocks, window, heads), ≥ 1. */
  public int queryTileBlocks() {
    return queryTileBlocks;
  }

  /**
   * These options with query tiles of {@code blocks} blocks (the balance cuts a long sequence's
   * queries finer: {@link WorkBalance}).
   *
   * @throws IllegalArgumentException if {@code blocks} is below 1
   */
  public PlanOptions withQueryTileBlocks(int blocks) {
    Builder b = new Builder();
    b.strategy = strategy;
    b.mask = mask;
    b.blockSize = blockSize;
    b.numHeads = numHeads;
    b.kvHeads = kvHeads;
    b.queryTileBlocks = blocks;
    b.keyTileBlocks = keyTileBlocks;
    b.wholeSequences = wholeSequences;
    return b.build();
  }

  /** Key blocks per task (blocks, heads), ≥ 1. */
  public int keyTileBlocks() {
    return keyTileBlocks;
  }

  /**
   * Whether a sequence whose queries and keys each fit in one block runs whole: one task of all its
   * heads, with no tile object in the plan, no partial states and no merge ({@link
   * AttentionPlan#isWhole}). Off unless set, so that a plan holds one cut per sequence.
   */
  public boolean wholeSequences() {
    return wholeSequences;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PlanOptions)) {
      return false;
    }
    PlanOptions p = (PlanOptions) o;
    return strategy == p.strategy
        && mask.equals(p.mask)
        && blockSize == p.blockSize
        && numHeads == p.numHeads
        && kvHeads == p.kvHeads
        && queryTileBlocks == p.queryTileBlocks
        && keyTileBlocks == p.keyTileBlocks
        && wholeSequences == p.wholeSequences;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        strategy,
        mask,
        blockSize,
        numHeads,
        kvHeads,
        queryTileBlocks,
        keyTileBlocks,
        wholeSequences);
  }

  @Override
  public String toString() {
    return strategy
        + ", mask "
        + mask
        + ", block size "
        + blockSize
        + ", "
        + numHeads
        + " heads"
        + (kvHeads != numHeads ? " (" + kvHeads + " key/value)" : "")
        + ", tiles of "
        + queryTileBlocks
        + " × "
        + keyTileBlocks
        + " blocks"
        + (wholeSequences ? ", one-block sequences whole" : "");
  }

  /** Collects the options; {@link #build()} checks them. */
  public static final class Builder {
    private Strategy strategy;
    private Mask mask = Mask.none();
    private int blockSize;
    private int numHeads = 1;
    private int kvHeads;
    private int queryTileBlocks = DEFAULT_QUERY_TILE_BLOCKS;
    private int keyTileBlocks = DEFAULT_KEY_TILE_BLOCKS;
    private boolean wholeSequences;

    private Builder() {}

    /** Whether one-block sequences run whole: see {@link PlanOptions#wholeSequences()}. */
    public Builder wholeSequences(boolean wholeSequences) {
      this.wholeSequences = wholeSequences;
      return this;
    }

    /** How to split; required. */
    public Builder strategy(Strategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** The attention mask; {@link Mask#none()} unless set. */
    public Builder mask(Mask mask) {
      this.mask = mask;
      return this;
    }

    /** Rows of one kernel block; required. */
    public Builder blockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** Number of heads; 1 unless set. */
    public Builder numHeads(int numHeads) {
      this.numHeads = numHeads;
      return this;
    }

    /** Key/value heads, dividing the heads (default 0: as many as heads). */
    public Builder kvHeads(int kvHeads) {
      this.kvHeads = kvHeads;
      return this;
    }

    /**
     * Blocks per task: {@code queryTileBlocks} of queries, {@code keyTileBlocks} of keys; the
     * defaults unless set.
     */
    public Builder tiles(int queryTileBlocks, int keyTileBlocks) {
      this.queryTileBlocks = queryTileBlocks;
      this.keyTileBlocks = keyTileBlocks;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the strategy or mask is missing, or a size is below 1
     */
    public PlanOptions build() {
      return new PlanOptions(this);
    }
  }
}
