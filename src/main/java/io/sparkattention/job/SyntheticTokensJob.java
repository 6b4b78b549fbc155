package io.sparkattention.job;

import io.sparkattention.spark.io.ResultWriter;
import io.sparkattention.spark.io.SyntheticTokens;
import io.sparkattention.spark.io.TableFormat;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
  // Option defaults: the initial values of the option fields, which --help shows.
  static final int DEFAULT_SEQUENCES = 1;
  static final int DEFAULT_D_MODEL = 64;
  static final long DEFAULT_SEED = 1L;

  @Mixin OutputOptions result;

  @Option(
      names = "--length",
      required = true,
      paramLabel = "N",
      description = "Tokens per sequence.")
  int length;

  @Option(
      names = "--sequences",
      paramLabel = "S",
      description = "Number of sequences (default: ${DEFAULT-VALUE}).")
  int sequences = DEFAULT_SEQUENCES;

  @Option(
      names = "--d-model",
      paramLabel = "D",
      description = "Vector width (default: ${DEFAULT-VALUE}).")
  int width = DEFAULT_D_MODEL;

  @Option(names = "--seed", paramLabel = "N", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed = DEFAULT_SEED;

  @Mixin Verbosity verbosity;

  @Override
  public Integer call() throws Exception {
    TableFormat fmt = result.formatFor(result.output);
    return JobLauncher.inSession(
        SparkSession.builder().appName("spark-attention synthetic tokens"),
        spark -> write(spark, fmt));
  }

  private void write(SparkSession spark, TableFormat fmt) {
    Dataset<Row> table = SyntheticTokens.generate(spark, sequences, length, width, seed);
    if (fmt == TableFormat.JSON) {
      table =
          table.withColumn(
              "x", org.apache.spark.ml.functions.vector_to_array(table.col("x"), "float64"));
    }
    ResultWriter.write(
        spark, table, result.output, fmt, result.overwrite, (long) sequences * length);
  }

  public static void main(String[] args) {
    System.exit(JobLauncher.execute(new SyntheticTokensJob(), args));
  }
}
