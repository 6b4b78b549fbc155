package io.sparkattention.spark.metrics;

import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one progress line per finished Spark stage: what it was, its tasks, its time since the job
 * began, and the bytes it shuffled and spilled, so a long job shows where it is.
 */
public final class ProgressListener extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressListener.class);
  private final long startNanos = System.nanoTime();

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo info = event.stageInfo();
    TaskMetrics m = info.taskMetrics();
    String name = info.name();
    int at = name.indexOf(" at ");
    LOG.info(
        "stage {} ({}) {}: {} tasks, shuffle write {}, read {}, spilled {} ({} s)",
        info.stageId(),
        at > 0 ? name.substring(0, at) : name,
        info.failureReason().isDefined() ? "FAILED" : "done",
        info.numTasks(),
        bytes(m == null ? 0 : m.shuffleWriteMetrics().bytesWritten()),
        bytes(m == null ? 0 : m.shuffleReadMetrics().totalBytesRead()),
        bytes(m == null ? 0 : m.diskBytesSpilled()),
        String.format("%.1f", (System.nanoTime() - startNanos) / 1e9));
  }

  static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format("%.1f KiB", b / 1024.0);
    }
    return String.format("%.1f MiB", b / (1024.0 * 1024));
  }
}
