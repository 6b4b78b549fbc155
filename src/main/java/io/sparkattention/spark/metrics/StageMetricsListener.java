package io.sparkattention.spark.metrics;

import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Sums the task metrics of everything that runs while it is registered: tasks, summed and longest
 * task time, shuffle bytes written and read, bytes spilled, peak execution memory of a task. One
 * instance measures one run; register it, run, then {@link #snapshot()}. The shuffles of jobs
 * submitted with the local property {@link #OUTSIDE_SHUFFLE_MODEL} (validation's per-sequence
 * check) are not counted: the cost model's shuffle bytes are the attention's.
 */
public final class StageMetricsListener extends SparkListener {
  /**
   * A local property whose jobs' shuffle bytes are not counted (set it with {@code
   * SparkContext.setLocalProperty} around the job; its value says why).
   */
  public static final String OUTSIDE_SHUFFLE_MODEL = "io.sparkattention.outsideShuffleModel";

  private final Set<Integer> outsideStages = new HashSet<>();

  private long tasks;
  private long taskMillis;
  private long longestTaskMillis;
  private long shuffleBytesWritten;
  private long shuffleBytesRead;
  private long shuffleRecordsWritten;
  private long bytesSpilled;
  private long peakExecutionMemoryBytes;

  /** What was measured. */
  public record Snapshot(
      long tasks,
      long taskMillis,
      long longestTaskMillis,
      long shuffleBytesWritten,
      long shuffleBytesRead,
      long shuffleRecordsWritten,
      long bytesSpilled,
      long peakExecutionMemoryBytes) {}

  @Override
  public synchronized void onStageSubmitted(SparkListenerStageSubmitted submitted) {
    Properties p = submitted.properties();
    if (p != null && p.getProperty(OUTSIDE_SHUFFLE_MODEL) != null) {
      outsideStages.add(submitted.stageInfo().stageId());
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    TaskMetrics m = end.taskMetrics();
    tasks++;
    long duration = end.taskInfo().duration();
    taskMillis += duration;
    longestTaskMillis = Math.max(longestTaskMillis, duration);
    if (m == null) {
      return;
    }
    bytesSpilled += m.diskBytesSpilled();
    peakExecutionMemoryBytes = Math.max(peakExecutionMemoryBytes, m.peakExecutionMemory());
    if (outsideStages.contains(end.stageId())) {
      return;
    }
    shuffleBytesWritten += m.shuffleWriteMetrics().bytesWritten();
    shuffleRecordsWritten += m.shuffleWriteMetrics().recordsWritten();
    shuffleBytesRead += m.shuffleReadMetrics().totalBytesRead();
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(
        tasks,
        taskMillis,
        longestTaskMillis,
        shuffleBytesWritten,
        shuffleBytesRead,
        shuffleRecordsWritten,
        bytesSpilled,
        peakExecutionMemoryBytes);
  }
}
