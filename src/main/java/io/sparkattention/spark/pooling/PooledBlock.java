package io.sparkattention.spark.pooling;

import java.io.Serializable;

/**
 * The attention pooling of one block of a group's rows (positions {@code block·B …}): the mergeable
 * state (max, normaliser, unnormalised weighted sum; see {@link
 * io.sparkattention.kernel.PartialAttention}) and the rows' scores in position order, from which
 * the group's weights follow once every block is merged.
 */
final class PooledBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  final long block;
  final double max;
  final double sum;
  final double[] acc;
  final double[] scores;

  PooledBlock(long block, double max, double sum, double[] acc, double[] scores) {
    this.block = block;
    this.max = max;
    this.sum = sum;
    this.acc = acc;
    this.scores = scores;
  }
}
