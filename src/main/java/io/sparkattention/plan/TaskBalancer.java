package io.sparkattention.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Spreads tasks over partitions by their work (attended pairs): longest processing time first, each
 * to the least-loaded partition (Graham 1969; within 4/3 of the optimum). Causal masks give late
 * query tiles far more keys than early ones; this evens them out, as zigzag ring attention does by
 * pairing early with late blocks. Deterministic: ties go to the lower id / partition.
 */
public final class TaskBalancer {
  private TaskBalancer() {}

  /** Partition of every task id, for {@code numPartitions} partitions. */
  public static int[] assign(List<TileTask> tasks, int numPartitions) {
    if (numPartitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + numPartitions);
    }
    List<TileTask> order = new ArrayList<>(tasks);
    order.sort(
        Comparator.comparingLong((TileTask t) -> cost(t))
            .reversed()
            .thenComparingInt(TileTask::id));
    PriorityQueue<long[]> load =
        new PriorityQueue<>(
            Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
    for (int p = 0; p < numPartitions; p++) {
      load.add(new long[] {0, p});
    }
    int[] partition = new int[tasks.size()];
    for (TileTask t : order) {
      long[] least = load.poll();
      partition[t.id()] = (int) least[1];
      least[0] += cost(t);
      load.add(least);
    }
    return partition;
  }

  /** Work of a task: its attended pairs per head, plus its rows (reading them costs too). */
  static long cost(TileTask t) {
    return (t.attendedPairs() + t.queryCount() + t.keyCount()) * t.headCount();
  }

  /** Sum of task costs per partition. */
  public static long[] loads(List<TileTask> tasks, int[] partition, int numPartitions) {
    long[] loads = new long[numPartitions];
    for (TileTask t : tasks) {
      loads[partition[t.id()]] += cost(t);
    }
    return loads;
  }
}
