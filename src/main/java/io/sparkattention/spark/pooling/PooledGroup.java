package io.sparkattention.spark.pooling;

import java.io.Serializable;

/**
 * A group's (sentence's or document's) attention pooling: the pooled vector {@code s = Σ α_i h_i}
 * and the weights {@code α} of its rows in position order.
 */
final class PooledGroup implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long group;
  private final double[] vector;
  private final double[] weights;

  PooledGroup(long group, double[] vector, double[] weights) {
    this.group = group;
    this.vector = vector;
    this.weights = weights;
  }

  /** The group's packed key, as its steps had it. */
  public long group() {
    return group;
  }

  /** The pooled vector (not copied). */
  public double[] vector() {
    return vector;
  }

  /** The weights by position (not copied); they sum to 1. */
  public double[] weights() {
    return weights;
  }
}
