package io.sparkattention.spark.io;

import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.SparkSession;

/**
 * Waits for the tasks still running after a failed write. When one task of a write fails the job,
 * Spark reports the failure at once and kills the stage's other tasks asynchronously: a task that
 * has not yet seen its kill can still create its attempt file, and with it the staging directory
 * the driver has just deleted. So the driver waits for them before it cleans up.
 */
final class TaskDrain {
  private static final long POLL_MILLIS = 50;

  private TaskDrain() {}

  /**
   * Returns once no executor reports a running task, or after {@code timeoutMillis} (a task that
   * outlives it leaves a staging directory that the next run on the path removes).
   */
  static void awaitNoRunningTasks(SparkSession spark, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (running(spark) > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static int running(SparkSession spark) {
    int n = 0;
    try {
      for (SparkExecutorInfo e : spark.sparkContext().statusTracker().getExecutorInfos()) {
        n += e.numRunningTasks();
      }
    } catch (RuntimeException e) {
      return 0; // a stopped context runs nothing; the write's own failure is what to report
    }
    return n;
  }
}
