package io.sparkattention.job;

import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.maps.AttentionMaps;

/**
 * The attention job's validated configuration.
 *
 * @param input token table path
 * @param output result path (must not exist unless {@code overwrite})
 * @param format table format of input and output
 * @param overwrite replace an existing output
 * @param weightsPath weights JSON, or null
 * @param spec what to compute and how to split it (weights not yet loaded: see {@link
 *     AttentionJob#run})
 * @param context the keys/values table of cross-attention, or null for self-attention
 * @param pyramidLevels levels of the pyramidal encoder before attention (0: none)
 * @param maps where to write the attention maps, or null for none
 */
public record AttentionJobConfig(
    String input,
    String output,
    TableFormat format,
    boolean overwrite,
    String weightsPath,
    AttentionSpec spec,
    ContextTable context,
    int pyramidLevels,
    AttentionMaps.Request maps) {

  /** A configuration without a pyramidal encoder or attention maps. */
  public AttentionJobConfig(
      String input,
      String output,
      TableFormat format,
      boolean overwrite,
      String weightsPath,
      AttentionSpec spec,
      ContextTable context) {
    this(input, output, format, overwrite, weightsPath, spec, context, 0, null);
  }

  /** A configuration without attention maps. */
  public AttentionJobConfig(
      String input,
      String output,
      TableFormat format,
      boolean overwrite,
      String weightsPath,
      AttentionSpec spec,
      ContextTable context,
      int pyramidLevels) {
    this(input, output, format, overwrite, weightsPath, spec, context, pyramidLevels, null);
  }
}
