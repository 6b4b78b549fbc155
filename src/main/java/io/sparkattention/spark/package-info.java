/**
 * The Spark layer: reads and validates token tables, carries out an {@link
 * io.sparkattention.plan.AttentionPlan} (route tokens to tile tasks, run the kernel per task, merge
 * partial states in canonical order) and writes the results atomically. Executor-side functions are
 * top-level classes named for their role.
 */
package io.sparkattention.spark;
