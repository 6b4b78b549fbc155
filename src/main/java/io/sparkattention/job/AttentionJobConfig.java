package io.sparkattention.job;

import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.maps.AttentionMaps;

/**
 * The attention job's validated configuration: the library's request, and the weights file to load
 * into its spec at run time (where Hadoop's file systems are at hand).
 *
 * @param request what to read, compute and write (the spec's weights not yet loaded)
 * @param weightsPath weights JSON, or null
 */
public record AttentionJobConfig(AttentionRequest request, String weightsPath) {
  public AttentionJobConfig {
    if (request == null) {
      throw new IllegalArgumentException("a job configuration needs a request");
    }
  }

  /** The token table's path. */
  public String input() {
    return request.input();
  }

  /** The result's path. */
  public String output() {
    return request.output();
  }

  /** The tables' format. */
  public TableFormat format() {
    return request.format();
  }

  /** Whether an existing output may be replaced. */
  public boolean overwrite() {
    return request.overwrite();
  }

  /** What to compute (weights not yet loaded). */
  public AttentionSpec spec() {
    return request.spec();
  }

  /** The context table of cross-attention, or null. */
  public ContextTable context() {
    return request.context();
  }

  /** Levels of the pyramidal encoder (0: none). */
  public int pyramidLevels() {
    return request.spec().pyramidLevels();
  }

  /** Where to write the attention maps, or null. */
  public AttentionMaps.Request maps() {
    return request.maps();
  }
}
