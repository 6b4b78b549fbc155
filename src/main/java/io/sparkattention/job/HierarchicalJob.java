package io.sparkattention.job;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.pooling.HierarchicalPipeline;
import io.sparkattention.spark.pooling.HierarchicalWeights;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hierarchical attention pooling (Yang et al. 2016) over a table of words ({@code doc_id}, {@code
 * sent_id}, {@code pos}, {@code x}): each sentence's words pooled into a sentence vector, each
 * document's sentence vectors into a document vector; writes {@code OUTPUT/sentences} ({@code
 * doc_id, sent_id, vec, word_weights}) and {@code OUTPUT/documents} ({@code doc_id, vec,
 * sentence_weights}).
 *
 * <p>Usage: {@code jobs/hierarchical [spark-submit options] -- --input PATH --output PATH
 * [--weights FILE] [options]}; or {@code spark-submit --class io.sparkattention.job.HierarchicalJob
 * spark-attention.jar [options]}.
 */
@Command(
    name = "hierarchical",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
      "Hierarchical attention pooling over a table of words (doc_id, sent_id, pos, x): words pooled"
          + " into sentence vectors, sentences into document vectors (u = tanh(h·W + b),"
          + " α = softmax(u·c), s = Σ α h).",
      "Writes OUTPUT/sentences (doc_id, sent_id, vec, word_weights by pos) and OUTPUT/documents"
          + " (doc_id, vec, sentence_weights by sent_id)."
    })
public final class HierarchicalJob implements Callable<Integer> {

  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description =
          "Word table: Parquet (x a vector) or JSON lines (x an array of numbers), columns doc_id,"
              + " sent_id, pos, x.")
  String input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "PATH",
      description = "Result directory (sentences/, documents/); must not exist unless --overwrite.")
  String output;

  @Option(
      names = "--weights",
      paramLabel = "FILE",
      description =
          "JSON with ww (d×a), bw, uw (a) for words and ws, bs, us for sentences, every part"
              + " optional. Default: W the identity, b = 0, u all 1/√a.")
  String weights;

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
      names = "--block-size",
      paramLabel = "B",
      defaultValue = "1024",
      description =
          "Words (sentences) per pooling block: the most one task holds of a sentence (document)"
              + " (default: ${DEFAULT-VALUE}).")
  int blockSize;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  /** Parses and validates the options into a config (weights are read at run time). */
  HierarchicalJobConfig config() {
    TableFormat fmt = format == null ? TableFormat.fromPath(input) : TableFormat.parse(format);
    if (blockSize < 1) {
      throw new InputException("--block-size must be >= 1, got " + blockSize);
    }
    return new HierarchicalJobConfig(input, output, fmt, overwrite, weights, blockSize);
  }

  /**
   * Runs the job: read, validate, pool both levels, write. Nothing is written unless every check
   * passes and every sentence and document has its row.
   */
  public static HierarchicalPipeline.Outcome run(SparkSession spark, HierarchicalJobConfig config) {
    HierarchicalWeights w =
        config.weightsPath() == null
            ? HierarchicalWeights.defaults()
            : HierarchicalWeights.read(
                config.weightsPath(), spark.sparkContext().hadoopConfiguration());
    HierarchicalPipeline.Outcome o = poolNamingOptions(spark, config, w);
    System.out.printf(
        "pooled %d words into %d sentences and %d documents (width %d): %s/sentences, %s/documents%n",
        o.words(), o.sentences(), o.documents(), o.width(), config.output(), config.output());
    return o;
  }

  private static HierarchicalPipeline.Outcome poolNamingOptions(
      SparkSession spark, HierarchicalJobConfig config, HierarchicalWeights w) {
    try {
      return SparkAttention.pool(
          spark,
          new HierarchicalPipeline.Request(
              config.input(),
              config.output(),
              config.format(),
              config.overwrite(),
              w,
              config.blockSize()));
    } catch (InputException e) {
      throw new OptionNames(Map.of("blockSize", "--block-size")).named(e);
    }
  }

  @Override
  public Integer call() {
    HierarchicalJobConfig config = config();
    SparkSession spark =
        SparkSession.builder().appName("spark-attention hierarchical").getOrCreate();
    try {
      run(spark, config);
      return 0;
    } finally {
      spark.stop();
    }
  }

  public static void main(String[] args) {
    HierarchicalJob job = new HierarchicalJob();
    System.exit(JobLauncher.execute(job, args, () -> job.verbose));
  }
}
