package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;

/**
 * Scratch buffers for the block kernels (scores and per-row key intervals), grown on demand and
 * reused, so a task that processes many blocks allocates them once, and the precision of the block
 * products ({@link Precision}). Not thread-safe: one per task or thread.
 */
public final class AttentionWorkspace {
  final BlockScratch block;

  /**
   * A workspace whose soft-attention blocks compute in double precision ({@link Precision#FP64}).
   */
  public AttentionWorkspace() {
    this(Precision.FP64);
  }

  /**
   * A workspace whose soft-attention block products compute in {@code precision} (see {@link
   * Precision}; the partial states are double precision either way).
   */
  public AttentionWorkspace(Precision precision) {
    this.block = new BlockScratch(precision);
  }

  /** The precision of the soft-attention block products computed with this workspace. */
  public Precision precision() {
    return block.precision();
  }
}
