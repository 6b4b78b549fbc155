package io.sparkattention.job;

import io.sparkattention.spark.io.TableFormat;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of a job that reads one table and writes its result: {@code --input}, then {@link
 * OutputOptions} ({@code --output}, {@code --format}, {@code --overwrite}). A picocli mixin; the
 * job's description names the table's columns.
 */
final class TableOptions {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description =
          "Input table (columns as above): Parquet (x a vector) or JSON lines (x an array of"
              + " numbers).")
  String input;

  @Mixin OutputOptions result;

  String input() {
    return input;
  }

  String output() {
    return result.output;
  }

  boolean overwrite() {
    return result.overwrite;
  }

  /** The format of input and output: {@code --format}, else the input path's. */
  TableFormat format() {
    return result.formatFor(input);
  }

  /** The format of another table the job reads: {@code --format}, else {@code path}'s own. */
  TableFormat formatFor(String path) {
    return result.formatFor(path);
  }
}
