/**
 * Hierarchical attention pooling (words into sentences, sentences into documents), merged by blocks
 * of positions so no sentence or document has to fit in one task. Uses {@code spark.io}, {@code
 * spark.validate}, {@code spark.metrics} and {@code spark.faults}.
 */
package io.sparkattention.spark.pooling;
