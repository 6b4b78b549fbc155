package io.sparkattention.job;

import io.sparkattention.spark.io.TableFormat;

/**
 * The hierarchical job's validated configuration.
 *
 * @param input word table path (doc_id, sent_id, pos, x)
 * @param output result directory (must not exist unless {@code overwrite})
 * @param format table format of input and output
 * @param overwrite replace an existing output
 * @param weightsPath pooling weights JSON, or null for the defaults
 * @param blockSize rows per pooling block
 */
public record HierarchicalJobConfig(
    String input,
    String output,
    TableFormat format,
    boolean overwrite,
    String weightsPath,
    int blockSize) {}
