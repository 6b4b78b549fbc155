/**
 * The distributed attention engine: carries out an {@link io.sparkattention.plan.AttentionPlan} by
 * routing tokens to tile tasks, running the kernel per task, and merging partial states per token
 * in canonical order; the pyramidal encoder's reduce stage; the memory check. Executor-side
 * functions are package-private. Uses {@code spark.io}, {@code spark.validate}, {@code
 * spark.metrics} and {@code spark.faults}.
 */
package io.sparkattention.spark.attention;
