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
import picocli.CommandLine.Mixin;
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
  /** Words (sentences) per pooling block unless --block-size. */
  static final int DEFAULT_BLOCK_SIZE = 1024;

  @Mixin TableOptions tables;

  @Option(
      names = "--weights",
      paramLabel = "FILE",
      description =
          "JSON with ww (d×a), bw, uw (a) for words and ws, bs, us for sentences, every part"
              + " optional. Default: W the identity, b = 0, u all 1/√a.")
  String weights;

  @Option(
      names = "--block-size",
      paramLabel = "B",
      description =
          "Words (sentences) per pooling block: the most one task holds of a sentence (document)"
              + " (default: ${DEFAULT-VALUE}).")
  int blockSize = DEFAULT_BLOCK_SIZE;

  @Mixin Verbosity verbosity;

  /** Parses and validates the options into a config (weights are read at run time). */
  HierarchicalJobConfig config() {
    TableFormat fmt = tables.format();
    if (blockSize < 1) {
      throw new InputException("--block-size must be >= 1, got " + blockSize);
    }
    return new HierarchicalJobConfig(
        tables.input(), tables.output(), fmt, tables.overwrite(), weights, blockSize);
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
  public Integer call() throws Exception {
    HierarchicalJobConfig config = config();
    return JobLauncher.inSession(
        SparkSession.builder().appName("spark-attention hierarchical"),
        spark -> run(spark, config));
  }

  public static void main(String[] args) {
    System.exit(JobLauncher.execute(new HierarchicalJob(), args));
  }
}
