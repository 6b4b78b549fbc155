package io.sparkattention.cost;

/**
 * Predicted wall time of a run: a fixed job overhead, plus the kernel's executed FLOPs at the
 * calibrated per-slot speed spread over the task slots, plus the shuffle bytes at the calibrated
 * per-slot shuffle throughput: {@code t = t₀ + F/(g·P) + S/(r·P)}.
 *
 * @param overheadSeconds t₀: job start-up, validation and output, measured on a tiny run
 * @param flopsPerSecondPerSlot g: the kernel's speed on one core, measured on the driver
 * @param shuffleBytesPerSecondPerSlot r: serialise, write, read and deserialise, measured
 * @param slots P: task slots (cores)
 */
public record TimeModel(
    double overheadSeconds,
    double flopsPerSecondPerSlot,
    double shuffleBytesPerSecondPerSlot,
    int slots) {

  public TimeModel {
    if (!(flopsPerSecondPerSlot > 0) || !(shuffleBytesPerSecondPerSlot > 0) || slots < 1) {
      throw new IllegalArgumentException(
          "time model needs positive speeds and slots, got "
              + flopsPerSecondPerSlot
              + ", "
              + shuffleBytesPerSecondPerSlot
              + ", "
              + slots);
    }
  }

  /** Predicted seconds for a run with this estimate. */
  public double seconds(CostEstimate e) {
    // Work spreads over min(tasks, slots) slots at best.
    int used = (int) Math.max(1, Math.min(slots, e.tasks()));
    return overheadSeconds
        + e.executedFlops() / (flopsPerSecondPerSlot * used)
        + e.shuffleBytes() / (shuffleBytesPerSecondPerSlot * slots);
  }
}
