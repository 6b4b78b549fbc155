package io.sparkattention.job;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionPipeline;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.TableFormat;
import io.sparkattention.spark.WeightsFile;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exact attention over every sequence of a token table ({@code seq_id}, {@code pos}, {@code x}),
 * one output row ({@code seq_id}, {@code pos}, {@code out}) per input token.
 *
 * <p>Usage: {@code jobs/attention [spark-submit options] -- --input PATH --output PATH --attention
 * global|local|causal [options]}; or {@code spark-submit --class io.sparkattention.job.AttentionJob
 * spark-attention.jar [options]}.
 */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    version = "spark-attention 0.1.0",
    sortOptions = false,
    description = {
      "Exact attention over long sequences stored as a table of tokens (seq_id, pos, x).",
      "Writes one row (seq_id, pos, out) per input token."
    })
public final class AttentionJob implements Callable<Integer> {

  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description = "Token table: Parquet (x a vector) or JSON lines (x an array of numbers).")
  String input;

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
          "Table format of input and output (default: from the input path's extension, else parquet).")
  String format;

  @Option(
      names = "--overwrite",
      description = "Replace an existing output directory (only once the new result is complete).")
  boolean overwrite;

  @Option(
      names = "--attention",
      required = true,
      paramLabel = "KIND",
      description =
          "global | local (|i-j| <= window) | causal (j <= i; with --window also j >= i-window).")
  String attention;

  @Option(
      names = "--window",
      paramLabel = "W",
      description = "Window half-width: required for local, optional for causal.")
  Integer window;

  @Option(
      names = "--heads",
      paramLabel = "H",
      defaultValue = "1",
      description = "Number of heads; must divide the projected width (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(
      names = "--weights",
      paramLabel = "FILE",
      description =
          "JSON with wq, bq, wk, bk, wv, bv, wo, bo (y = x·W + b, every part optional). Without it Q = K = V = x.")
  String weights;

  @Option(
      names = "--strategy",
      paramLabel = "NAME",
      defaultValue = "auto",
      description =
          "single | blocks | window | heads | auto (default: ${DEFAULT-VALUE}; logs its choice and why).")
  String strategy;

  @Option(
      names = "--block-size",
      paramLabel = "B",
      defaultValue = "1024",
      description = "Rows per kernel block (default: ${DEFAULT-VALUE}).")
  int blockSize;

  @Option(
      names = "--query-tile-blocks",
      paramLabel = "N",
      defaultValue = "16",
      description = "Advanced: query blocks per task (default: ${DEFAULT-VALUE}).")
  int queryTileBlocks;

  @Option(
      names = "--key-tile-blocks",
      paramLabel = "N",
      defaultValue = "32",
      description = "Advanced: key blocks per task for blocks/heads (default: ${DEFAULT-VALUE}).")
  int keyTileBlocks;

  @Option(
      names = "--partitions",
      paramLabel = "P",
      defaultValue = "0",
      description =
          "Partitions of the attention stage (default 0: twice Spark's parallelism, at most one per task).")
  int partitions;

  @Option(
      names = "--engine",
      paramLabel = "auto|blas|ejml",
      defaultValue = "auto",
      description = EngineChoice.DESCRIPTION)
  String engine;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  /** Parses and validates the options into a config (weights are read at run time). */
  AttentionJobConfig config() {
    EngineChoice.validate(engine);
    TableFormat fmt = format == null ? TableFormat.fromPath(input) : TableFormat.parse(format);
    AttentionKind kind = AttentionKind.parse(attention);
    Strategy strat;
    try {
      strat = Strategy.parse(strategy);
    } catch (IllegalArgumentException e) {
      throw new InputException("--strategy: " + e.getMessage());
    }
    AttentionSpec spec =
        new AttentionSpec(
            kind.mask(window),
            heads,
            AttentionWeights.none(),
            strat,
            blockSize,
            queryTileBlocks,
            keyTileBlocks,
            partitions);
    return new AttentionJobConfig(input, output, fmt, overwrite, weights, spec);
  }

  /**
   * Runs the job: read, validate, plan, compute, write. Nothing is written unless every check
   * passes and every token has its row.
   *
   * @return the number of rows written
   */
  public static long run(SparkSession spark, AttentionJobConfig config) {
    AttentionSpec spec = config.spec();
    if (config.weightsPath() != null) {
      AttentionWeights w =
          WeightsFile.read(config.weightsPath(), spark.sparkContext().hadoopConfiguration());
      spec =
          new AttentionSpec(
              spec.mask(),
              spec.numHeads(),
              w,
              spec.strategy(),
              spec.blockSize(),
              spec.queryTileBlocks(),
              spec.keyTileBlocks(),
              spec.partitions());
    }
    return AttentionPipeline.run(
            spark, config.input(), config.output(), config.format(), config.overwrite(), spec)
        .rowsWritten();
  }

  @Override
  public Integer call() {
    AttentionJobConfig config = config();
    SparkSession spark =
        EngineChoice.apply(engine, SparkSession.builder().appName("spark-attention")).getOrCreate();
    try {
      run(spark, config);
      return 0;
    } finally {
      spark.stop();
    }
  }

  public static void main(String[] args) {
    AttentionJob job = new AttentionJob();
    System.exit(JobLauncher.execute(job, args, () -> job.verbose));
  }
}
