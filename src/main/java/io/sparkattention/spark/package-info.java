/**
 * The Spark layer's entry points: the {@link io.sparkattention.spark.AttentionSpec} of what to
 * compute, {@link io.sparkattention.spark.InputException} for bad input, the pipeline that reads,
 * validates, computes and writes, and {@link
 * io.sparkattention.spark.SparkAttentionKryoRegistrator}, which conf names as Spark's Kryo
 * registrator. The work is done in sub-packages split by role: {@code io} (tables in and out),
 * {@code validate}, {@code attention} (the distributed engine), {@code pooling} (hierarchical
 * attention), {@code maps}, {@code metrics} (listeners), {@code faults} (test-only fault
 * injection), {@code cost} (the cost sweep) and {@code ml} (the Spark ML transformer). Dependencies
 * point one way, checked by {@code DependencyDirectionTest}.
 */
package io.sparkattention.spark;
