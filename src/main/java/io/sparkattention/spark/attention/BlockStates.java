package io.sparkattention.spark.attention;

import io.sparkattention.kernel.HardAttention;
import io.sparkattention.kernel.MergeableState;
import io.sparkattention.kernel.PartialAttention;
import io.sparkattention.plan.TileTask;
import io.sparkattention.spark.Selection;

/**
 * The running states of a task's query blocks × heads: online-softmax states, or for hard attention
 * the best key so far. Created on the first key block, when the value width is known.
 */
final class BlockStates {
  private final Selection selection;
  private final int headStart;
  private final PartialAttention[][] soft;
  private final HardAttention[][] hard;

  BlockStates(Selection selection, int numQBlocks, int groupHeads, int headStart) {
    this.selection = selection;
    this.headStart = headStart;
    this.soft = selection.isHard() ? null : new PartialAttention[numQBlocks][groupHeads];
    this.hard = selection.isHard() ? new HardAttention[numQBlocks][groupHeads] : null;
  }

  /** Creates query block {@code b}'s empty states if it has none yet. */
  void ensure(int b, int rows, int valueWidth) {
    int heads = soft != null ? soft[b].length : hard[b].length;
    for (int h = 0; h < heads; h++) {
      if (soft != null && soft[b][h] == null) {
        soft[b][h] = PartialAttention.empty(rows, valueWidth);
      } else if (hard != null && hard[b][h] == null) {
        hard[b][h] = selection.emptyHardState(rows, valueWidth, headStart + h);
      }
    }
  }

  /** Query block {@code b}'s state of head {@code h} of the group, soft or hard. */
  MergeableState<?> get(int b, int h) {
    return soft != null ? soft[b][h] : hard[b][h];
  }

  /** Query block {@code b}'s softmax state of head {@code h} (local-p: never hard). */
  PartialAttention soft(int b, int h) {
    return soft[b][h];
  }

  /** Row {@code i} of query block {@code b}, all heads of the group, as one token part. */
  TokenPart part(int b, int i, TileTask t, long pos, int parts, int valueWidth) {
    final int groupHeads = t.headCount();
    double[] max = new double[groupHeads];
    double[] acc = new double[groupHeads * valueWidth];
    if (soft != null) {
      double[] sum = new double[groupHeads];
      for (int h = 0; h < groupHeads; h++) {
        PartialAttention s = soft[b][h];
        max[h] = s.max(i);
        sum[h] = s.sum(i);
        for (int c = 0; c < valueWidth; c++) {
          acc[h * valueWidth + c] = s.weightedValue(i, c);
        }
      }
      return TokenPart.soft(t, pos, parts, max, sum, acc);
    }
    long[] key = new long[groupHeads];
    for (int h = 0; h < groupHeads; h++) {
      HardAttention s = hard[b][h];
      max[h] = s.bestScore(i);
      key[h] = s.chosenKey(i);
      for (int c = 0; c < valueWidth; c++) {
        acc[h * valueWidth + c] = s.chosenValue(i, c);
      }
    }
    return TokenPart.hard(t, pos, parts, max, acc, key);
  }
}
