package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;

/**
 * Scratch buffers for the block kernels (scores and per-row key intervals), grown on demand and
 * reused, so a task that processes many blocks allocates them once. Not thread-safe: one per task
 * or thread.
 */
public final class AttentionWorkspace {
  final BlockScratch block = new BlockScratch();
}
