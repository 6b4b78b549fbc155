package io.sparkattention.cost;

/**
 * What the model predicts for one plan.
 *
 * @param tasks tile tasks
 * @param usefulFlops 4·d per (query, key, head) pair the mask allows: 4n²d global, about half of
 *     that causal, about 4n(2w+1)d local
 * @param executedFlops what the block kernel computes: 4·d per (query, key) of every block pair it
 *     does not skip (masked entries inside a computed block cost too)
 * @param routedRecords stage 1 shuffle records: every (task, token, role) the plan routes
 * @param routedBytes stage 1 shuffle bytes
 * @param partialRecords stage 2 shuffle records (partial states), 0 when nothing merges
 * @param partialBytes stage 2 shuffle bytes
 * @param peakTaskBytes the largest task's working set (query tile, its states, one key block, one
 *     score block)
 */
public record CostEstimate(
    long tasks,
    double usefulFlops,
    double executedFlops,
    long routedRecords,
    long routedBytes,
    long partialRecords,
    long partialBytes,
    long peakTaskBytes) {

  /** Both shuffles together. */
  public long shuffleBytes() {
    return routedBytes + partialBytes;
  }
}
