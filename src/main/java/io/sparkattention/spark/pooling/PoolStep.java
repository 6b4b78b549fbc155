package io.sparkattention.spark.pooling;

import java.io.Serializable;

/**
 * One row to pool: its group (a sentence or a document, as a packed key), its position within the
 * group (a word's pos, a sentence's sent_id), and its vector.
 */
final class PoolStep implements Serializable {
  private static final long serialVersionUID = 1L;

  final long group;
  final long pos;
  final double[] x;

  public PoolStep(long group, long pos, double[] x) {
    this.group = group;
    this.pos = pos;
    this.x = x;
  }
}
