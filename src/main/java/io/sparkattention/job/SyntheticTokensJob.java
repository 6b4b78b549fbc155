package io.sparkattention.job;

import io.sparkattention.spark.io.ResultWriter;
import io.sparkattention.spark.io.SyntheticTokens;
import io.sparkattention.spark.io.TableFormat;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes a seeded synthetic token table (for benchmarks and trying the job at scale).
 *
 * <p>Usage: {@code jobs/synthetic-tokens -- --output PATH --length N [--sequences S] [--d-model D]
 * [--seed N] [--format parquet|json] [--overwrite]}
 */
@Command(
    name = "synthetic-tokens",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = "Writes a seeded synthetic token table (seq_id, pos, x) with standard normal x.")
public final class SyntheticTokensJob implements Callable<Integer> {
  @Option(
      names = "--output",
      required = true,
      paramLabel = "PATH",
      description = "Where to write the table.")
  String output;

  @Option(
      names = "--length",
      required = true,
      paramLabel = "N",
      description = "Tokens per sequence.")
  int length;

  @Option(
      names = "--sequences",
      paramLabel = "S",
      defaultValue = "1",
      description = "Number of sequences (default: ${DEFAULT-VALUE}).")
  int sequences;

  @Option(
      names = "--d-model",
      paramLabel = "D",
      defaultValue = "64",
      description = "Vector width (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "1",
      description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--format",
      paramLabel = "parquet|json",
      description = "Output format (default: from the path's extension, else parquet).")
  String format;

  @Option(names = "--overwrite", description = "Replace an existing output.")
  boolean overwrite;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() {
    TableFormat fmt = format == null ? TableFormat.fromPath(output) : TableFormat.parse(format);
    SparkSession spark =
        SparkSession.builder().appName("spark-attention synthetic tokens").getOrCreate();
    try {
      Dataset<Row> table = SyntheticTokens.generate(spark, sequences, length, width, seed);
      if (fmt == TableFormat.JSON) {
        table =
            table.withColumn(
                "x", org.apache.spark.ml.functions.vector_to_array(table.col("x"), "float64"));
      }
      ResultWriter.write(spark, table, output, fmt, overwrite, (long) sequences * length);
      return 0;
    } finally {
      spark.stop();
    }
  }

  public static void main(String[] args) {
    SyntheticTokensJob job = new SyntheticTokensJob();
    System.exit(JobLauncher.execute(job, args, () -> job.verbose));
  }
}
