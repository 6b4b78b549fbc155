package io.sparkattention.cost;

/**
 * What the model predicts for one plan.
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
 * @param checkBytes the shuffle of the writer's one-row-per-token check (Spark SQL aggregates the
 *     written rows' {@code seq_id, pos}), about one record per output row
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
    long checkBytes) {

  /** An estimate of attention alone (no reduce stage before it). */
  public CostEstimate(
      long tasks,
      double usefulFlops,
      double executedFlops,
      long routedRecords,
      long routedBytes,
      long partialRecords,
      long partialBytes,
      long peakTaskBytes) {
    this(
        tasks,
        usefulFlops,
        executedFlops,
        routedRecords,
        routedBytes,
        partialRecords,
        partialBytes,
        peakTaskBytes,
        0,
        0,
        0);
  }

  /** This estimate with the output check's shuffle bytes set. */
  public CostEstimate withCheckBytes(long bytes) {
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
        bytes);
  }

  /**
   * Every shuffle together: the reduce stage's (if any), the routed tokens', the partials', the
   * output check's.
   */
  public long shuffleBytes() {
    return reduceBytes + routedBytes + partialBytes + checkBytes;
  }
}
