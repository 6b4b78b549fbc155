package io.sparkattention.spark.attention;

import org.apache.spark.Partitioner;

/**
 * Sends each tile task's tokens to the partition the plan's balancer chose for it; the placement
 * logic lives in {@link io.sparkattention.plan.TaskBalancer}, this only looks it up.
 */
final class TaskPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;
  private final int[] partitionOfTask;
  private final int numPartitions;

  public TaskPartitioner(int[] partitionOfTask, int numPartitions) {
    this.partitionOfTask = partitionOfTask.clone();
    this.numPartitions = numPartitions;
  }

  @Override
  public int numPartitions() {
    return numPartitions;
  }

  @Override
  public int getPartition(Object key) {
    return partitionOfTask[((RouteKey) key).task];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TaskPartitioner
        && java.util.Arrays.equals(((TaskPartitioner) o).partitionOfTask, partitionOfTask);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(partitionOfTask);
  }
}
