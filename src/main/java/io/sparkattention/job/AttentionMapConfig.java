package io.sparkattention.job;

import io.sparkattention.spark.io.TableFormat;

/**
 * The attention-map job's validated configuration.
 *
 * @param input the weights table written by {@code jobs/attention --emit-weights}
 * @param out the PNG file to write
 * @param format the table's format, or null to tell from its files
 * @param seqId the sequence to draw, or null for the first seq_id (as text)
 * @param head the head to draw, ≥ 0
 * @param overwrite replace an existing PNG
 */
public record AttentionMapConfig(
    String input, String out, TableFormat format, String seqId, int head, boolean overwrite) {}
