/**
 * Attention maps: the softmax weights of every (token, head, key) for short sequences, and their
 * reader for charts. Uses {@code spark.attention} for the distributed plan.
 */
package io.sparkattention.spark.maps;
