package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.BlockScratch;
import org.ejml.data.DMatrixRMaj;

/**
 * Scratch buffers for the block kernels (scores and per-row key intervals), grown on demand and
 * reused, so a task that processes many blocks allocates them once. Not thread-safe: one per task
 * or thread.
 */
public final class AttentionWorkspace {
  final DMatrixRMaj scores = new DMatrixRMaj(1, 1);
  final BlockScratch block = new BlockScratch();
  long[] lo = new long[0];
  long[] hi = new long[0];
  double[] centres = new double[0];

  /** Makes the per-row arrays at least {@code rows} long. */
  void ensureRows(int rows) {
    if (lo.length < rows) {
      lo = new long[rows];
      hi = new long[rows];
      centres = new double[rows];
    }
  }
}
