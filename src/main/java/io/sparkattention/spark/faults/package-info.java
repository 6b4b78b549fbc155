/**
 * Test-only fault injection: makes the first attempt of chosen tasks of the attention, pyramid,
 * attention-map and pooling stages fail or stall, so tests can check that retries, speculation and
 * lost executors leave the output unchanged. Off unless a Spark property asks for it. Depends on no
 * other sub-package of the Spark layer, so that every one of them may use it.
 */
package io.sparkattention.spark.faults;
