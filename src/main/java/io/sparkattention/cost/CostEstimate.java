package io.sparkattention.cost;

/**
 * What the model predicts for one plan. Made by {@link CostModel}.
 *
 * @param tasks tile tasks
 * @param usefulFlops 4·d per (query, key, head) pair the mask allows: 4n²d global, about half of
 *     that causal, about 4n(2w+1)d local and local-p (window 2D+1 around each centre, clipped at
 *     the ends)
 * @param executedFlops what the block kernel computes: 4·d per (query, key) of every block pair it
 *     does not skip (masked entries inside a computed block cost too); for local-p a model, about
 *     (2D+1) keys per query rounded up to whole blocks
 * @param routedRecords stage 1 shuffle records: every (task, token, role) the plan routes
 * @param routedBytes stage 1 shuffle bytes
 * @param partialRecords stage 2 shuffle records (partial states), 0 when nothing merges
 * @param partialBytes stage 2 shuffle bytes
 * @param peakTaskBytes the largest task's working set (query tile, its states, one key block, one
 *     score block)
 * @param reduceRecords records of a pyramidal encoder's reduce stage before attention (every input
 *     token once), 0 without one
 * @param reduceBytes that stage's shuffle bytes
 * @param executedScores (query, key, head) scores the block kernel computes, masked entries in
 *     computed blocks included: the softmax's work (one exp each), or hard attention's comparisons
 */
public record CostEstimate(
    long tasks,
    double usefulFlops,
    double executedFlops,
    long routedRecords,
    long routedBytes,
    long partialRecords,
    long partialBytes,
    long peakTaskBytes,
    long reduceRecords,
    long reduceBytes,
    double executedScores) {

  /**
   * @throws IllegalArgumentException naming the figure if a count, a byte total or a FLOP total is
   *     negative (or NaN)
   */
  public CostEstimate {
    requireNonNegative(tasks, "tasks");
    requireNonNegative(usefulFlops, "usefulFlops");
    requireNonNegative(executedFlops, "executedFlops");
    requireNonNegative(routedRecords, "routedRecords");
    requireNonNegative(routedBytes, "routedBytes");
    requireNonNegative(partialRecords, "partialRecords");
    requireNonNegative(partialBytes, "partialBytes");
    requireNonNegative(peakTaskBytes, "peakTaskBytes");
    requireNonNegative(reduceRecords, "reduceRecords");
    requireNonNegative(reduceBytes, "reduceBytes");
    requireNonNegative(executedScores, "executedScores");
  }

  private static void requireNonNegative(long v, String name) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }
  }

  private static void requireNonNegative(double v, String name) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }
  }

  /** An empty estimate to fill in: every figure 0 until set. */
  static Builder builder() {
    return new Builder();
  }

  /** A builder holding this estimate's figures, to change some of them. */
  Builder toBuilder() {
    return new Builder()
        .tasks(tasks)
        .flops(usefulFlops, executedFlops)
        .routed(routedRecords, routedBytes)
        .partials(partialRecords, partialBytes)
        .peakTaskBytes(peakTaskBytes)
        .reduce(reduceRecords, reduceBytes)
        .executedScores(executedScores);
  }

  /** Every shuffle together: the reduce stage's (if any), the routed tokens', the partials'. */
  public long shuffleBytes() {
    return reduceBytes + routedBytes + partialBytes;
  }

  /** Collects an estimate's figures by stage; {@link #build()} checks them. */
  static final class Builder {
    private long tasks;
    private double usefulFlops;
    private double executedFlops;
    private long routedRecords;
    private long routedBytes;
    private long partialRecords;
    private long partialBytes;
    private long peakTaskBytes;
    private long reduceRecords;
    private long reduceBytes;
    private double executedScores;

    private Builder() {}

    Builder tasks(long tasks) {
      this.tasks = tasks;
      return this;
    }

    /** The FLOPs the mask allows and the FLOPs the block kernel executes. */
    Builder flops(double useful, double executed) {
      this.usefulFlops = useful;
      this.executedFlops = executed;
      return this;
    }

    /** Stage 1, the routed tokens. */
    Builder routed(long records, long bytes) {
      this.routedRecords = records;
      this.routedBytes = bytes;
      return this;
    }

    /** Stage 2, the partial states. */
    Builder partials(long records, long bytes) {
      this.partialRecords = records;
      this.partialBytes = bytes;
      return this;
    }

    Builder peakTaskBytes(long bytes) {
      this.peakTaskBytes = bytes;
      return this;
    }

    /** A pyramidal encoder's reduce stage. */
    Builder reduce(long records, long bytes) {
      this.reduceRecords = records;
      this.reduceBytes = bytes;
      return this;
    }

    /** The (query, key, head) scores the kernel computes. */
    Builder executedScores(double scores) {
      this.executedScores = scores;
      return this;
    }

    CostEstimate build() {
      return new CostEstimate(
          tasks,
          usefulFlops,
          executedFlops,
          routedRecords,
          routedBytes,
          partialRecords,
          partialBytes,
          peakTaskBytes,
          reduceRecords,
          reduceBytes,
          executedScores);
    }
  }
}
