/**
 * Spark ML integration: {@link io.sparkattention.spark.ml.AttentionTransformer}, exact attention as
 * a {@code Transformer} with {@code Params}, usable in a {@code Pipeline} and saved or loaded with
 * it. It reuses the attention job's machinery in {@code io.sparkattention.spark}.
 */
package io.sparkattention.spark.ml;
