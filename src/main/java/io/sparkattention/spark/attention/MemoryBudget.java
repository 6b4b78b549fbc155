package io.sparkattention.spark.attention;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.TimeModel;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.SortedIds;
import io.sparkattention.spark.InputException;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;

/**
 * Refuses, before anything runs, a plan whose largest task would not fit in the memory a task gets:
 * Spark's unified memory ((heap − 300 MiB) × {@code spark.memory.fraction}) shared by the tasks an
 * executor runs at once.
 */
final class MemoryBudget {
  /** Spark's reserved system memory (UnifiedMemoryManager.RESERVED_SYSTEM_MEMORY_BYTES). */
  static final long RESERVED_BYTES = 300L * 1024 * 1024;

  private MemoryBudget() {}

  /**
   * Bytes one task may use: in local mode the driver's heap shared by its task threads, elsewhere
   * {@code spark.executor.memory} shared by {@code spark.executor.cores}.
   */
  public static long perTaskBytes(
      SparkConf conf, boolean local, int localThreads, long driverHeapBytes) {
    long heap = local ? driverHeapBytes : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int cores =
        local ? Math.max(1, localThreads) : Math.max(1, conf.getInt("spark.executor.cores", 1));
    double fraction = conf.getDouble("spark.memory.fraction", 0.6);
    return (long) (Math.max(0, heap - RESERVED_BYTES) * fraction / cores);
  }

  /**
   * The attention stage's partition count when none is given: twice the task slots, or more when
   * the routed records would not fit: a partition's share of them is sorted in its task's memory,
   * so it is kept to half a task's share (a corpus of millions of tokens otherwise spills its
   * shuffle to disk); never more partitions than items (tile tasks and whole sequences) to spread.
   *
   * @param items tile tasks plus whole sequences
   * @param slots Spark's default parallelism
   * @param routedBytes the estimate's shuffle bytes of the routing stage
   * @param perTaskBytes {@link #perTaskBytes}
   */
  static int partitions(int items, int slots, long routedBytes, long perTaskBytes) {
    // one rule, which the cost model's time model uses too
    return (int) TimeModel.attentionPartitions(items, slots, routedBytes, perTaskBytes);
  }

  /**
   * About how many bytes one copy of the per-sequence tables takes: the ids ({@link
   * SortedIds#bytes}, or about 64 bytes an id of another list), their lengths, and the plan's
   * lengths and partition of each sequence.
   */
  static long sequenceTableBytes(List<Object> ids) {
    long idBytes = ids instanceof SortedIds sorted ? sorted.bytes() : 64L * ids.size();
    return idBytes + 20L * ids.size();
  }

  /**
   * Refuses a table with so many sequences that the driver's heap cannot hold their tables: one
   * copy the driver keeps, two that Spark's broadcasts of the ids and the plan serialise, and in
   * local mode one more for each task thread, which deserialises its own when the broadcast does
   * not fit Spark's memory store (an estimate, on the safe side; 10,000,000 one-token sequences ran
   * out of memory in a 1 GiB driver instead).
   *
   * @param local whether the tasks run in the driver's JVM, on {@code threads} threads
   * @throws InputException naming the count, the sizes and the {@code --driver-memory} that would
   *     do
   */
  static void checkDriver(List<Object> ids, boolean local, int threads, long driverHeapBytes) {
    long table = sequenceTableBytes(ids);
    long copies = 3 + (local ? Math.max(1, threads) : 0);
    long need = RESERVED_BYTES + copies * table;
    if (need <= driverHeapBytes) {
      return;
    }
    long gib = 1L << 30;
    throw new InputException(
        String.format(
            Locale.ROOT,
            "the table's %,d sequences need about %,d MiB of driver memory (%,d MiB for one copy"
                + " of their ids, lengths and plan, which the driver keeps, Spark's broadcasts"
                + " serialise and %s), more than the driver's heap of %,d MiB: run with"
                + " --driver-memory %dg",
            ids.size(),
            need >> 20,
            table >> 20,
            local ? "each of the " + threads + " local task threads may read" : "its plan uses",
            driverHeapBytes >> 20,
            (need + gib - 1) / gib));
  }

  /**
   * @throws InputException naming the strategy, both sizes and what to change, if the plan's
   *     largest task needs more than {@code perTaskBytes}
   */
  public static void check(AttentionPlan plan, CostEstimate estimate, long perTaskBytes) {
    if (estimate.peakTaskBytes() <= perTaskBytes) {
      return;
    }
    throw new InputException(
        String.format(
            Locale.ROOT,
            "strategy %s needs about %.0f MiB in its largest task but a task gets about %.0f MiB; "
                + "use --strategy blocks (or window for local attention), a smaller --block-size "
                + "or --query-tile-blocks, or more executor memory",
            plan.strategy(),
            estimate.peakTaskBytes() / 1048576.0,
            perTaskBytes / 1048576.0));
  }
}
