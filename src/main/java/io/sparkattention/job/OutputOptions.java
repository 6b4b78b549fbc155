package io.sparkattention.job;

import io.sparkattention.spark.io.TableFormat;
import picocli.CommandLine.Option;

/**
 * Where a job writes its result table and in which format: {@code --output}, {@code --format},
 * {@code --overwrite}. A picocli mixin, on its own in a job that reads no table, or inside {@link
 * TableOptions}.
 */
final class OutputOptions {
  @Option(
      names = "--output",
      required = true,
      paramLabel = "PATH",
      description = "Result directory; must not exist unless --overwrite.")
  String output;

  @Option(
      names = "--format",
      paramLabel = "parquet|json",
      description =
          "Format of the tables read and written (default: from the input path's extension, or"
              + " the output path's in a job without input; else parquet).")
  String format;

  @Option(
      names = "--overwrite",
      description = "Replace an existing output directory (only once the new result is complete).")
  boolean overwrite;

  /**
   * The format {@code --format} names, else the one {@code path}'s extension names.
   *
   * @throws io.sparkattention.spark.InputException for an unknown {@code --format}
   */
  TableFormat formatFor(String path) {
    return format == null ? TableFormat.fromPath(path) : TableFormat.parse(format);
  }
}
