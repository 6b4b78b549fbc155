/**
 * Spark listeners: one progress line per stage, and per-stage task metrics (time, shuffle, spill,
 * peak memory) for the cost report. Depends on no other sub-package of the Spark layer.
 */
package io.sparkattention.spark.metrics;
