package io.sparkattention.spark.io;

import java.io.Serializable;

/** A token's final attention output (after the output projection). */
public final class FinishedToken implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int seqIndex;
  private final long pos;
  private final double[] out;

  public FinishedToken(int seqIndex, long pos, double[] out) {
    this.seqIndex = seqIndex;
    this.pos = pos;
    this.out = out;
  }

  /** Index of the token's sequence in the validated table's canonical order. */
  public int seqIndex() {
    return seqIndex;
  }

  public long pos() {
    return pos;
  }

  /** The output vector (not copied). */
  public double[] out() {
    return out;
  }
}
