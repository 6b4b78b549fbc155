package io.sparkattention.spark.attention;

import io.sparkattention.plan.TileTask;
import java.io.Serializable;

/**
 * One tile task's result for one query token: for each head of the task's head group the partial
 * state's max and normaliser, and the unnormalised weighted values of all its heads side by side.
 * {@code parts} is how many parts the token gets over all its head groups and key groups.
 *
 * <p>For hard attention ({@code chosenKey} not null) {@code max} holds each head's best score,
 * {@code chosenKey} the position of its key (−1 for none), {@code acc} the chosen values, and
 * {@code sum} is null.
 */
final class TokenPart implements Serializable {
  private static final long serialVersionUID = 1L;

  final int seqIndex;
  final long pos;
  final int headGroup;
  final int keyGroup;
  final int parts;
  final double[] max;
  final double[] sum;
  final double[] acc;
  final long[] chosenKey;

  private TokenPart(
      int seqIndex,
      long pos,
      int headGroup,
      int keyGroup,
      int parts,
      double[] max,
      double[] sum,
      double[] acc,
      long[] chosenKey) {
    this.seqIndex = seqIndex;
    this.pos = pos;
    this.headGroup = headGroup;
    this.keyGroup = keyGroup;
    this.parts = parts;
    this.max = max;
    this.sum = sum;
    this.acc = acc;
    this.chosenKey = chosenKey;
  }

  /**
   * Task {@code t}'s softmax part for its query at {@code pos}: per head of the group the max and
   * the normaliser, and the weighted values.
   */
  static TokenPart soft(TileTask t, long pos, int parts, double[] max, double[] sum, double[] acc) {
    return new TokenPart(
        t.seqIndex(), pos, t.headGroup(), t.keyGroup(), parts, max, sum, acc, null);
  }

  /**
   * Task {@code t}'s hard part for its query at {@code pos}: per head of the group the best score
   * and the chosen key's position (−1 for none), and the chosen values.
   */
  static TokenPart hard(
      TileTask t, long pos, int parts, double[] bestScore, double[] acc, long[] chosenKey) {
    return new TokenPart(
        t.seqIndex(), pos, t.headGroup(), t.keyGroup(), parts, bestScore, null, acc, chosenKey);
  }

  /** Whether this is a hard-attention part. */
  boolean isHard() {
    return chosenKey != null;
  }

  /** {@code seqIndex} and {@code pos} packed into one long: the merge stage's shuffle key. */
  long tokenKey() {
    return ((long) seqIndex << 40) | pos;
  }
}
