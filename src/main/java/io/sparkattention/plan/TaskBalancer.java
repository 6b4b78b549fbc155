package io.sparkattention.plan;

import java.util.List;
import java.util.PriorityQueue;

/**
 * Spreads tasks over partitions by their work (attended pairs): longest processing time first, each
 * to the least-loaded partition (Graham 1969: within 4/3 of the optimum, and within one task's work
 * of the mean). Causal masks give late query tiles far more keys than early ones; this evens them
 * out, as zigzag ring attention does by pairing early with late blocks. A corpus mixes a few long
 * sequences' tile tasks with many whole sequences ({@link AttentionPlan#isWhole}); both kinds are
 * items of the one balance, so every partition of the attention stage gets about the mean work
 * whatever the mix of lengths. Deterministic: ties go to the lower id / partition.
 *
 * <p>O(n log n) in the number n of task ids, with one long and one int per id: a corpus of millions
 * of sequences costs the driver a few bytes each.
 */
public final class TaskBalancer {
  private TaskBalancer() {}

  /** Partition of every task id of {@code tasks} (dense ids from 0). */
  public static int[] assign(List<TileTask> tasks, int numPartitions) {
    long[] costs = new long[tasks.size()];
    for (TileTask t : tasks) {
      costs[t.id()] = cost(t);
    }
    return assign(costs, numPartitions);
  }

  /** Partition of every task id of {@code plan}: its tile tasks and its whole sequences. */
  public static int[] assign(AttentionPlan plan, int numPartitions) {
    return assign(costs(plan), numPartitions);
  }

  /**
   * Partition of every item, {@code costs[i]} being item i's work: longest first, each to the least
   * loaded partition.
   *
   * @throws IllegalArgumentException if {@code numPartitions} is below 1
   */
  public static int[] assign(long[] costs, int numPartitions) {
    if (numPartitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + numPartitions);
    }
    int[] order = byCostDescending(costs);
    // (load, partition) pairs: the least loaded partition, ties to the lower index, on top
    PriorityQueue<long[]> load =
        new PriorityQueue<>(
            (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    for (int p = 0; p < numPartitions; p++) {
      load.add(new long[] {0, p});
    }
    int[] partition = new int[costs.length];
    for (int id : order) {
      long[] least = load.poll();
      partition[id] = (int) least[1];
      least[0] += costs[id];
      load.add(least);
    }
    return partition;
  }

  /**
   * Work of every task id of {@code plan}: a tile task's as {@link #cost(TileTask)}; a whole
   * sequence's its one block pair, {@code (n_q·n_k + n_q + n_k)·heads} (the kernel computes the
   * whole block, masked or not, so no per-token count is needed); 0 for the unused ids of tiled
   * sequences.
   */
  public static long[] costs(AttentionPlan plan) {
    List<TileTask> tasks = plan.tasks();
    long[] costs = new long[plan.numTaskIds()];
    for (TileTask t : tasks) {
      costs[t.id()] = cost(t);
    }
    for (int s = 0; s < plan.numSequences(); s++) {
      if (plan.isWhole(s)) {
        long q = plan.queryLength(s);
        long k = plan.keyLength(s);
        costs[plan.wholeTaskId(s)] = (q * k + q + k) * plan.numHeads();
      }
    }
    return costs;
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

  /** Sum of item costs per partition. */
  public static long[] loads(long[] costs, int[] partition, int numPartitions) {
    long[] loads = new long[numPartitions];
    for (int i = 0; i < costs.length; i++) {
      loads[partition[i]] += costs[i];
    }
    return loads;
  }

  /** Largest load over the mean load (1 for no work). */
  public static double imbalance(long[] loads) {
    long max = 0;
    long sum = 0;
    for (long l : loads) {
      max = Math.max(max, l);
      sum += l;
    }
    return sum == 0 ? 1.0 : max / (sum / (double) loads.length);
  }

  /**
   * Item ids by cost, largest first, ties by id: a stable merge sort of primitive ints (no boxing
   * of millions of ids).
   */
  static int[] byCostDescending(long[] costs) {
    int n = costs.length;
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] tmp = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n - width; lo += 2 * width) {
        int mid = lo + width;
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          // stable: the left run wins ties, so equal costs keep ascending ids
          tmp[k++] = costs[a[j]] > costs[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          tmp[k++] = a[i++];
        }
        while (j < hi) {
          tmp[k++] = a[j++];
        }
        System.arraycopy(tmp, lo, a, lo, hi - lo);
      }
    }
    return a;
  }
}
