package io.sparkattention.cost;

import java.util.List;

/**
 * One (configuration, length) of a cost report: the medians measured over the repeats beside the
 * model's figures. The CSV header ({@link #HEADER}) is the report's stable schema, units in names;
 * {@code kvHeads} is the key/value heads (= {@code numHeads} but for a grouped-query row), and the
 * time model's terms and the held-out prediction come after it, so the earlier columns keep their
 * places. {@code estimate} (the plan's {@link CostEstimate}, for refitting the time model) is not a
 * column; {@code modelTerms} is null and {@code heldoutWallMillis} −1 until set ({@link
 * #withModel}).
 */
public record CostRow(
    String config,
    String attention,
    String strategy,
    long seqLen,
    int dModel,
    int numHeads,
    int window,
    int blockSize,
    int repeats,
    long planTasks,
    long wallMillis,
    long taskMillis,
    long longestTaskMillis,
    long sparkTasks,
    long shuffleBytesWritten,
    long shuffleBytesRead,
    long bytesSpilled,
    long peakExecutionMemoryBytes,
    double modelUsefulFlops,
    double modelExecutedFlops,
    long modelShuffleBytes,
    long modelPeakTaskBytes,
    long modelWallMillis,
    int kvHeads,
    CostEstimate estimate,
    TimeModel.Terms modelTerms,
    long heldoutWallMillis) {

  /** A row without its estimate, terms or held-out prediction. */
  public CostRow(
      String config,
      String attention,
      String strategy,
      long seqLen,
      int dModel,
      int numHeads,
      int window,
      int blockSize,
      int repeats,
      long planTasks,
      long wallMillis,
      long taskMillis,
      long longestTaskMillis,
      long sparkTasks,
      long shuffleBytesWritten,
      long shuffleBytesRead,
      long bytesSpilled,
      long peakExecutionMemoryBytes,
      double modelUsefulFlops,
      double modelExecutedFlops,
      long modelShuffleBytes,
      long modelPeakTaskBytes,
      long modelWallMillis,
      int kvHeads) {
    this(
        config,
        attention,
        strategy,
        seqLen,
        dModel,
        numHeads,
        window,
        blockSize,
        repeats,
        planTasks,
        wallMillis,
        taskMillis,
        longestTaskMillis,
        sparkTasks,
        shuffleBytesWritten,
        shuffleBytesRead,
        bytesSpilled,
        peakExecutionMemoryBytes,
        modelUsefulFlops,
        modelExecutedFlops,
        modelShuffleBytes,
        modelPeakTaskBytes,
        modelWallMillis,
        kvHeads,
        null,
        null,
        -1);
  }

  /**
   * This row with the time model's terms (and their sum as {@code modelWallMillis}) and a held-out
   * prediction in milliseconds (−1: none, the row was among those calibrated on).
   */
  public CostRow withModel(TimeModel.Terms terms, long heldoutWallMillis) {
    return new CostRow(
        config,
        attention,
        strategy,
        seqLen,
        dModel,
        numHeads,
        window,
        blockSize,
        repeats,
        planTasks,
        wallMillis,
        taskMillis,
        longestTaskMillis,
        sparkTasks,
        shuffleBytesWritten,
        shuffleBytesRead,
        bytesSpilled,
        peakExecutionMemoryBytes,
        modelUsefulFlops,
        modelExecutedFlops,
        modelShuffleBytes,
        modelPeakTaskBytes,
        Math.round(terms.seconds() * 1000),
        kvHeads,
        estimate,
        terms,
        heldoutWallMillis);
  }

  /** (held-out prediction − measured) / measured wall time; NaN without a held-out prediction. */
  public double heldoutTimeError() {
    return heldoutWallMillis < 0 || wallMillis == 0
        ? Double.NaN
        : (heldoutWallMillis - wallMillis) / (double) wallMillis;
  }

  /** Column names, in order. */
  public static final List<String> HEADER =
      List.of(
          "config",
          "attention",
          "strategy",
          "seq_len",
          "d_model",
          "heads",
          "window",
          "block_size",
          "repeats",
          "plan_tasks",
          "wall_ms",
          "task_time_ms",
          "longest_task_ms",
          "spark_tasks",
          "shuffle_write_bytes",
          "shuffle_read_bytes",
          "spilled_bytes",
          "peak_execution_memory_bytes",
          "model_useful_flops",
          "model_executed_flops",
          "model_shuffle_bytes",
          "model_peak_task_bytes",
          "model_wall_ms",
          "effective_gflops",
          "shuffle_model_error",
          "time_model_error",
          "kv_heads",
          "model_kernel_ms",
          "model_softmax_ms",
          "model_shuffle_ms",
          "model_task_fixed_ms",
          "model_stage_fixed_ms",
          "heldout_wall_ms",
          "heldout_time_error");

  /** Useful FLOPs per second of wall time, in GFLOP/s. */
  public double effectiveGflops() {
    return wallMillis == 0 ? 0 : modelUsefulFlops / (wallMillis / 1000.0) / 1e9;
  }

  /** (model − measured) / measured shuffle bytes written; 0 when both are 0. */
  public double shuffleModelError() {
    if (shuffleBytesWritten == 0) {
      return modelShuffleBytes == 0 ? 0 : Double.POSITIVE_INFINITY;
    }
    return (modelShuffleBytes - shuffleBytesWritten) / (double) shuffleBytesWritten;
  }

  /** (model − measured) / measured wall time. */
  public double timeModelError() {
    return wallMillis == 0 ? 0 : (modelWallMillis - wallMillis) / (double) wallMillis;
  }

  /** The row's values in {@link #HEADER} order. */
  public List<Object> values() {
    TimeModel.Terms t = modelTerms;
    return java.util.Arrays.asList(
        config,
        attention,
        strategy,
        seqLen,
        dModel,
        numHeads,
        window,
        blockSize,
        repeats,
        planTasks,
        wallMillis,
        taskMillis,
        longestTaskMillis,
        sparkTasks,
        shuffleBytesWritten,
        shuffleBytesRead,
        bytesSpilled,
        peakExecutionMemoryBytes,
        modelUsefulFlops,
        modelExecutedFlops,
        modelShuffleBytes,
        modelPeakTaskBytes,
        modelWallMillis,
        round(effectiveGflops(), 3),
        round(shuffleModelError(), 4),
        round(timeModelError(), 4),
        kvHeads,
        t == null ? Double.NaN : round(t.kernelSeconds() * 1000, 1),
        t == null ? Double.NaN : round(t.softmaxSeconds() * 1000, 1),
        t == null ? Double.NaN : round(t.shuffleSeconds() * 1000, 1),
        t == null ? Double.NaN : round(t.taskFixedSeconds() * 1000, 1),
        t == null ? Double.NaN : round(t.stageFixedSeconds() * 1000, 1),
        heldoutWallMillis,
        round(heldoutTimeError(), 4));
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Double.isFinite(v) ? Math.round(v * f) / f : v;
  }
}
