/**
 * Attention maps: the softmax weights of every (token, head, key) for short sequences, and their
 * reader for charts. Uses {@code spark.attention} for the distributed plan, {@code spark.faults}
 * for test-only fault injection.
 */
package io.sparkattention.spark.maps;
