package io.sparkattention.spark.pooling;

import io.sparkattention.kernel.PartialAttention;
import io.sparkattention.kernel.PoolingOps;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.faults.FaultInjection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.ejml.data.DMatrixRMaj;
import scala.Tuple2;

/**
 * Attention pooling ({@link PoolingOps}) of every group of rows (the words of a sentence, the
 * sentences of a document) without holding a group in one place: a group's rows are cut into blocks
 * of {@code blockSize} consecutive positions, each block pooled into a mergeable one-row state
 * ({@link PartialAttention}: max, normaliser, weighted sum), and a group's block states merged by
 * the log-sum-exp rule in block order, so the result has the same bits however the input is
 * partitioned.
 *
 * <p>Memory: a block task holds at most {@code blockSize} rows (blockSize·d doubles); a group's
 * merge holds one state per block (d + 2 doubles each) and the group's scores, one double per row,
 * from which its weights follow ({@code α_i = exp(s_i − m) / l} with the merged max m and
 * normaliser l). Only the weights, 8 bytes per row, must fit for the longest group.
 */
public final class DistributedPooling {
  private DistributedPooling() {}

  /**
   * Pools every group of {@code steps} (positions 0 … n−1 once each per group: validated input).
   * Lazy: nothing runs until the result is consumed.
   *
   * @param weights the level's weights
   * @param blockSize positions per block, ≥ 1
   * @param partitions partitions of both shuffles
   * @param faults test-only faults for the block and merge stages ({@link FaultInjection#none()})
   */
  public static JavaRDD<PooledGroup> pool(
      JavaRDD<PoolStep> steps,
      Broadcast<PoolingWeights> weights,
      int blockSize,
      int partitions,
      FaultInjection faults) {
    if (blockSize < 1) {
      throw new InputException("--block-size must be >= 1, got " + blockSize);
    }
    final long b = blockSize;
    // Stage 1 shuffles every row once, to its block (group, pos / B): at most B rows per block.
    JavaPairRDD<Long, PooledBlock> blocks =
        faults.inject(
            FaultInjection.POOL,
            steps
                .mapToPair(s -> new Tuple2<>(new Tuple2<>(s.group, s.pos / b), s))
                .groupByKey(partitions)
                .mapToPair(
                    kv ->
                        new Tuple2<>(
                            kv._1()._1(), poolBlock(kv._1()._2(), b, kv._2(), weights.value()))));
    // Stage 2 shuffles one state (d + 2 doubles) and the scores of each block to its group, where
    // the states merge in block order.
    return faults.inject(
        FaultInjection.POOL_MERGE,
        blocks.groupByKey(partitions).map(kv -> finish(kv._1(), kv._2(), b)));
  }

  /** The block's rows in position order, pooled: its state and its rows' scores. */
  static PooledBlock poolBlock(
      long block, long blockSize, Iterable<PoolStep> rows, PoolingWeights weights) {
    List<PoolStep> sorted = new ArrayList<>();
    rows.forEach(sorted::add);
    sorted.sort(Comparator.comparingLong(s -> s.pos));
    final int d = sorted.get(0).x.length;
    DMatrixRMaj H = new DMatrixRMaj(sorted.size(), d);
    for (int i = 0; i < sorted.size(); i++) {
      PoolStep s = sorted.get(i);
      if (s.pos != block * blockSize + i) {
        throw new IllegalStateException(
            "group "
                + s.group
                + ": block "
                + block
                + " has no position "
                + (block * blockSize + i));
      }
      System.arraycopy(s.x, 0, H.data, i * d, d);
    }
    double[] scores = weights.scores(H);
    PartialAttention p = PoolingOps.partial(H, scores);
    return new PooledBlock(block, p.max(0), p.sum(0), p.weightedValues().data, scores);
  }

  /** Merges a group's block states in block order; its weights from the merged max and sum. */
  static PooledGroup finish(long group, Iterable<PooledBlock> parts, long blockSize) {
    List<PooledBlock> blocks = new ArrayList<>();
    parts.forEach(blocks::add);
    blocks.sort(Comparator.comparingLong(p -> p.block));
    int rows = 0;
    PartialAttention state = null;
    for (int i = 0; i < blocks.size(); i++) {
      PooledBlock p = blocks.get(i);
      if (p.block != i || (i < blocks.size() - 1 && p.scores.length != blockSize)) {
        throw new IllegalStateException("group " + group + ": block " + p.block + " is incomplete");
      }
      PartialAttention part =
          PartialAttention.of(
              new double[] {p.max}, new double[] {p.sum}, DMatrixRMaj.wrap(1, p.acc.length, p.acc));
      state = state == null ? part : state.mergeFrom(part);
      rows += p.scores.length;
    }
    double m = state.max(0);
    double l = state.sum(0);
    double[] alpha = new double[rows];
    int at = 0;
    for (PooledBlock p : blocks) {
      for (double s : p.scores) {
        // α_i = exp(s_i − m) / l: the softmax over the whole group
        alpha[at++] = Math.exp(s - m) / l;
      }
    }
    return new PooledGroup(group, state.output().data, alpha);
  }
}
