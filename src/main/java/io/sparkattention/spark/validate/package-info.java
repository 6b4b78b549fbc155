/**
 * One pass over a token or hierarchy table that finds every bad row (mixed widths, NaN/∞, nulls,
 * missing or duplicate positions) before anything is computed, and summarises the sequences for the
 * planner. Uses {@link io.sparkattention.spark.io} only.
 */
package io.sparkattention.spark.validate;
