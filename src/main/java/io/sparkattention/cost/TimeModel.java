package io.sparkattention.cost;

import java.util.Locale;

/**
 * Predicted wall time of an attention run, as a sum of terms the report shows ({@link Terms}):
 *
 * <pre>
 *   t = F/(g·U) + X/(e·U)          kernel products and softmax work over U busy slots
 *     + S/(r·P)                    shuffle bytes written and read, over all P slots
 *     + c_task · waves             per-task fixed cost, once per wave of tasks over the slots
 *     + c_stage · stages           per-stage fixed cost (scheduling, job and stage set-up)
 * </pre>
 *
 * where F is the plan's executed FLOPs, X its executed scores, S its shuffle bytes, U = min(P,
 * attention partitions), waves = ⌈partitions / P⌉ per attention stage (two when partial states
 * merge), and stages = 3 (read and route, attend, write and its check) + 1 with a merge + 1 with a
 * pyramid's reduce. g and e are measured on one core ({@link KernelCalibration#rates}); r, c_task
 * and c_stage are fitted to measured runs ({@link TimeFit}) or read from a calibration file.
 *
 * @param flopsPerSecond g: kernel product FLOP/s per slot
 * @param scoresPerSecond e: softmax scores per second per slot (may be infinite)
 * @param shuffleBytesPerSecond r: shuffle bytes per second per slot, write and read (may be
 *     infinite: no shuffle cost)
 * @param taskSeconds c_task ≥ 0
 * @param stageSeconds c_stage ≥ 0
 * @param slots P ≥ 1: task slots (cores)
 * @param taskMemoryBytes memory a task gets, for the attention stage's partition count (as the job
 *     picks it)
 */
public record TimeModel(
    double flopsPerSecond,
    double scoresPerSecond,
    double shuffleBytesPerSecond,
    double taskSeconds,
    double stageSeconds,
    long slots,
    long taskMemoryBytes) {

  /**
   * @throws IllegalArgumentException if a rate is not positive, a fixed cost negative, or slots
   *     below 1
   */
  public TimeModel {
    if (!(flopsPerSecond > 0)
        || !(scoresPerSecond > 0)
        || !(shuffleBytesPerSecond > 0)
        || !(taskSeconds >= 0)
        || !(stageSeconds >= 0)
        || slots < 1) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "time model needs positive rates, non-negative fixed costs and slots >= 1, got g %s,"
                  + " e %s, r %s, c_task %s, c_stage %s, %d slots",
              flopsPerSecond,
              scoresPerSecond,
              shuffleBytesPerSecond,
              taskSeconds,
              stageSeconds,
              slots));
    }
  }

  /** This model with other fitted figures (r, c_task, c_stage). */
  public TimeModel withFitted(
      double shuffleBytesPerSecond, double taskSeconds, double stageSeconds) {
    return with(shuffleBytesPerSecond, taskSeconds, stageSeconds, slots, taskMemoryBytes);
  }

  /** This model on another cluster: other slots and memory per task, the same rates. */
  public TimeModel on(long slots, long taskMemoryBytes) {
    return with(shuffleBytesPerSecond, taskSeconds, stageSeconds, slots, taskMemoryBytes);
  }

  private TimeModel with(double r, double task, double stage, long slots, long taskMemory) {
    return new TimeModel(flopsPerSecond, scoresPerSecond, r, task, stage, slots, taskMemory);
  }

  /**
   * The attention stage's partitions, as the job picks them when none are given: twice the slots,
   * or more when the routed records would not fit (a partition's share of them is sorted in its
   * task's memory, kept to half a task's share), never more than the items (tile tasks and whole
   * sequences) to spread.
   */
  public static long attentionPartitions(
      long items, long slots, long routedBytes, long taskMemoryBytes) {
    long bySize =
        taskMemoryBytes <= 0 ? 1 : (2 * routedBytes + taskMemoryBytes - 1) / taskMemoryBytes;
    long p = Math.max(2L * slots, bySize);
    return Math.max(1, Math.min(items, p));
  }

  /**
   * The model's terms for a plan's estimate.
   *
   * @param kernelSeconds F/(g·U)
   * @param softmaxSeconds X/(e·U)
   * @param shuffleSeconds S/(r·P)
   * @param taskFixedSeconds c_task · waves
   * @param stageFixedSeconds c_stage · stages
   * @param partitions the attention stage's partitions
   * @param waves waves of attention tasks (both attention stages when states merge)
   * @param stages stages counted
   */
  public record Terms(
      double kernelSeconds,
      double softmaxSeconds,
      double shuffleSeconds,
      double taskFixedSeconds,
      double stageFixedSeconds,
      long partitions,
      long waves,
      int stages) {
    /** The predicted wall time: the sum of the five terms. */
    public double seconds() {
      return kernelSeconds + softmaxSeconds + shuffleSeconds + taskFixedSeconds + stageFixedSeconds;
    }
  }

  /** The terms for {@code e}. */
  public Terms terms(CostEstimate e) {
    long parts = attentionPartitions(e.tasks(), slots, e.routedBytes(), taskMemoryBytes);
    long used = Math.max(1, Math.min(slots, parts));
    boolean merge = e.partialRecords() > 0;
    long waves = ceilDiv(parts, slots) * (merge ? 2 : 1);
    int stages = stages(e);
    return new Terms(
        e.executedFlops() / (flopsPerSecond * used),
        e.executedScores() / (scoresPerSecond * used),
        e.shuffleBytes() / (shuffleBytesPerSecond * slots),
        taskSeconds * waves,
        stageSeconds * stages,
        parts,
        waves,
        stages);
  }

  /** Predicted seconds for a run with this estimate: {@link Terms#seconds()}. */
  public double seconds(CostEstimate e) {
    return terms(e).seconds();
  }

  /** Stages the model counts: 3, + 1 when partial states merge, + 1 with a pyramid's reduce. */
  static int stages(CostEstimate e) {
    return 3 + (e.partialRecords() > 0 ? 1 : 0) + (e.reduceRecords() > 0 ? 1 : 0);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** One line: every figure with its unit. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "kernel %.2f GFLOP/s per slot, softmax %s per slot, shuffle %s per slot, %.1f ms per task"
            + " wave, %.0f ms per stage, %d slots",
        flopsPerSecond / 1e9,
        Double.isInfinite(scoresPerSecond)
            ? "not separated (in the kernel rate)"
            : String.format(Locale.ROOT, "%.0f M scores/s", scoresPerSecond / 1e6),
        Double.isInfinite(shuffleBytesPerSecond)
            ? "free (fitted to 0 s/byte)"
            : String.format(Locale.ROOT, "%.1f MB/s", shuffleBytesPerSecond / 1e6),
        taskSeconds * 1000,
        stageSeconds * 1000,
        slots);
  }
}
