package io.sparkattention.spark.metrics;

import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Sums the task metrics of everything that runs while it is registered: tasks, summed and longest
 * task time, shuffle bytes written and read, bytes spilled, peak execution memory of a task. One
 * instance measures one run; register it, run, then {@link #snapshot()}.
 */
public final class StageMetricsListener extends SparkListener {
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
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    TaskMetrics m = end.taskMetrics();
    tasks++;
    long duration = end.taskInfo().duration();
    taskMillis += duration;
    longestTaskMillis = Math.max(longestTaskMillis, duration);
    if (m == null) {
      return;
    }
    shuffleBytesWritten += m.shuffleWriteMetrics().bytesWritten();
    shuffleRecordsWritten += m.shuffleWriteMetrics().recordsWritten();
    shuffleBytesRead += m.shuffleReadMetrics().totalBytesRead();
    bytesSpilled += m.diskBytesSpilled();
    peakExecutionMemoryBytes = Math.max(peakExecutionMemoryBytes, m.peakExecutionMemory());
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
