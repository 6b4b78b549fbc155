package io.sparkattention.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * What happened to task attempts while registered: failed attempts (with their reasons),
 * speculative copies launched, executors removed. Tests use it to show that the faults they
 * injected happened.
 */
public final class TaskAttemptListener extends SparkListener {
  private final List<String> failures = new ArrayList<>();
  private final List<String> failureTraces = new ArrayList<>();
  private final List<String> finishedOn = new ArrayList<>();
  private int speculativeLaunched;
  private int executorsRemoved;

  @Override
  public synchronized void onTaskStart(SparkListenerTaskStart start) {
    if (start.taskInfo().speculative()) {
      speculativeLaunched++;
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskInfo().successful()) {
      finishedOn.add(end.taskInfo().executorId());
      return;
    }
    String reason = String.valueOf(end.reason());
    String trace = reason;
    if (end.reason() instanceof ExceptionFailure) {
      ExceptionFailure f = (ExceptionFailure) end.reason();
      reason = f.className() + ": " + f.description();
      // With its causes: a failure inside a write task arrives wrapped in TASK_WRITE_FAILED.
      trace = reason + "\n" + f.fullStackTrace();
    }
    failures.add("stage " + end.stageId() + " task " + end.taskInfo().index() + ": " + reason);
    failureTraces.add(trace);
  }

  @Override
  public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    executorsRemoved++;
  }

  /** Failed (or killed) attempts, as "stage S task I: reason". */
  public synchronized List<String> failures() {
    return new ArrayList<>(failures);
  }

  /** How many failed attempts name {@code text} in their reason or its causes. */
  public synchronized long failuresWith(String text) {
    return failureTraces.stream().filter(f -> f.contains(text)).count();
  }

  /** Executor ids of the successful attempts, one per attempt. */
  public synchronized List<String> finishedOn() {
    return new ArrayList<>(finishedOn);
  }

  public synchronized int speculativeLaunched() {
    return speculativeLaunched;
  }

  public synchronized int executorsRemoved() {
    return executorsRemoved;
  }
}
