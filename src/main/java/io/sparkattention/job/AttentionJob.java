package io.sparkattention.job;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.attention.PyramidReduction;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.VectorType;
import io.sparkattention.spark.io.WeightsFile;
import io.sparkattention.spark.maps.AttentionMaps;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Exact attention over every sequence of a token table ({@code seq_id}, {@code pos}, {@code x}),
 * one output row ({@code seq_id}, {@code pos}, {@code out}) per input token; with {@code
 * --pyramid-levels L}, attention over the sequences reduced L times by a pyramidal encoder, one row
 * per top-level step.
 *
 * <p>Usage: {@code jobs/attention [spark-submit options] -- --input PATH --output PATH --attention
 * global|local|causal|cross|hard|local-p [options]}; or {@code spark-submit --class
 * io.sparkattention.job.AttentionJob spark-attention.jar [options]}. {@code --emit-weights PATH}
 * also writes the attention maps, which {@code jobs/attention-map} ({@link AttentionMapJob}) draws.
 */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
      "Exact attention over long sequences stored as a table of tokens (seq_id, pos, x).",
      "Writes one row (seq_id, pos, out) per input token (with --pyramid-levels L: per top-level"
          + " step).",
      "Cross attention: --attention cross --context PATH. Hard attention: --attention hard"
          + " [--causal] [--window W] [--sample [--seed N]]."
    })
public final class AttentionJob implements Callable<Integer> {
  /** The options behind the library's parameters, for its error messages. */
  private static final OptionNames OPTIONS = new OptionNames(optionNames());

  private static Map<String, String> optionNames() {
    Map<String, String> names = new java.util.HashMap<>(ScoreOptionsMixin.OPTION_NAMES);
    names.putAll(PrecisionOption.OPTION_NAMES);
    names.putAll(
        Map.ofEntries(
            Map.entry("heads", "--heads"),
            Map.entry("window", "--window"),
            Map.entry("windowClip", "--window-clip"),
            Map.entry("mask", "--window"),
            Map.entry("localPWindow", "--window"),
            Map.entry("strategy", "--strategy"),
            Map.entry("blockSize", "--block-size"),
            Map.entry("queryTileBlocks", "--query-tile-blocks"),
            Map.entry("keyTileBlocks", "--key-tile-blocks"),
            Map.entry("partitions", "--partitions"),
            Map.entry("pyramidLevels", "--pyramid-levels"),
            Map.entry("segmentColumn", "--segment-col"),
            Map.entry("globalTokens", "--global-tokens"),
            Map.entry("globalColumn", "--global-col"),
            Map.entry("input", "--input"),
            Map.entry("output", "--output"),
            Map.entry("vectorType", "--vector-type"),
            Map.entry("context", "--context"),
            Map.entry("maps", "--emit-weights"),
            Map.entry("mapsMaxLength", "--emit-weights-max-length")));
    return names;
  }

  // Option defaults: the initial values of the option fields, which --help shows.
  static final int DEFAULT_HEADS = 1;
  static final String DEFAULT_STRATEGY = "auto";

  /** 0: twice Spark's parallelism, at most one partition per task. */
  static final int DEFAULT_PARTITIONS = 0;

  /** 0: no pyramidal encoder. */
  static final int DEFAULT_PYRAMID_LEVELS = 0;

  static final long DEFAULT_SAMPLE_SEED = 0L;

  @Mixin TableOptions tables;

  @Option(
      names = "--attention",
      required = true,
      paramLabel = "KIND",
      description =
          "global | local (|i-j| <= window) | causal (j <= i; with --window also j >= i-window)"
              + " | cross (queries from --input, keys and values from --context)"
              + " | hard (each query takes its best-scoring key's value; global, or with --window"
              + " and/or --causal)"
              + " | local-p (Luong: |j-p_i| <= window around a predicted centre p_i, Gaussian-"
              + "weighted; needs wp, vp in --weights).")
  String attention;

  @Option(
      names = "--window",
      paramLabel = "W",
      description =
          "Window half-width: required for local and local-p (D >= 1), optional for causal and"
              + " hard.")
  Integer window;

  @Option(
      names = "--window-clip",
      description =
          "A --window at least as long as the longest sequence is not an error: those sequences"
              + " run without the window (global, or plain causal attention: the same result), and"
              + " a warning says so. For scheduled batches of short sequences.")
  boolean windowClip;

  @Option(
      names = "--context",
      paramLabel = "PATH",
      description =
          "Cross attention's keys/values table (seq_id, pos, x), one sequence per input seq_id"
              + " (format: --format, else from its own path's extension).")
  String context;

  @Option(
      names = "--causal",
      description = "Hard attention: only keys j <= i (with --window also j >= i-window).")
  boolean causal;

  @Option(
      names = "--sample",
      description =
          "Hard attention: sample the key from the softmax (Gumbel-max) instead of the argmax.")
  boolean sample;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description =
          "Seed of --sample's noise (default "
              + DEFAULT_SAMPLE_SEED
              + "); the same seed gives the same choices, however"
              + " the work is split.")
  Long seed;

  @Option(
      names = "--vector-type",
      paramLabel = "vector|array",
      description =
          "Type of the output column out: vector (Spark ML's vector; the default for Parquet) or"
              + " array (a plain array<double>, which pandas, pyarrow, DuckDB and Polars read"
              + " without knowing Spark; always so in JSON). The numbers are the same.")
  String vectorType;

  @Option(
      names = "--heads",
      paramLabel = "H",
      description = "Number of heads; must divide the projected width (default: ${DEFAULT-VALUE}).")
  int heads = DEFAULT_HEADS;

  @Option(
      names = "--weights",
      paramLabel = "FILE",
      description =
          "JSON with wq, bq, wk, bk, wv, bv, wo, bo (y = x·W + b, every part optional), and wp, vp"
              + " for local-p. Without it Q = K = V = x (cross: K = V = the context's x).")
  String weights;

  @Option(
      names = "--strategy",
      paramLabel = "NAME",
      description =
          "single | blocks | window | heads | auto (default: ${DEFAULT-VALUE}; logs its choice and why).")
  String strategy = DEFAULT_STRATEGY;

  @Option(
      names = "--block-size",
      paramLabel = "B",
      description = "Rows per kernel block (default: ${DEFAULT-VALUE}).")
  int blockSize = AttentionSpec.DEFAULT_BLOCK_SIZE;

  @Option(
      names = "--query-tile-blocks",
      paramLabel = "N",
      description = "Advanced: query blocks per task (default: ${DEFAULT-VALUE}).")
  int queryTileBlocks = PlanOptions.DEFAULT_QUERY_TILE_BLOCKS;

  @Option(
      names = "--key-tile-blocks",
      paramLabel = "N",
      description = "Advanced: key blocks per task for blocks/heads (default: ${DEFAULT-VALUE}).")
  int keyTileBlocks = PlanOptions.DEFAULT_KEY_TILE_BLOCKS;

  @Option(
      names = "--partitions",
      paramLabel = "P",
      description =
          "Partitions of the attention stage (default ${DEFAULT-VALUE}: twice Spark's parallelism, at most one per task).")
  int partitions = DEFAULT_PARTITIONS;

  @Mixin ScoreOptionsMixin scores;

  @Mixin EngineChoice engine;

  @Mixin PrecisionOption precision;

  @Option(
      names = "--pyramid-levels",
      paramLabel = "L",
      description = {
        "Pyramidal encoder before attention: L times concatenate adjacent steps (length ceil(n/2),"
            + " width 2d); attention runs over the top level (width 2^L·d, which --weights must fit)"
            + " and one row is written per top-level step (default: ${DEFAULT-VALUE}, none)."
      })
  int pyramidLevels = DEFAULT_PYRAMID_LEVELS;

  @Option(
      names = "--segment-col",
      paramLabel = "COL",
      description =
          "Packed documents: a query attends only to keys of its sequence with the same value of"
              + " column COL (each value one contiguous run of positions), on top of any other"
              + " mask.")
  String segmentColumn;

  @Option(
      names = "--global-tokens",
      paramLabel = "N",
      description =
          "Global tokens (Longformer): the first N tokens of every sequence (by pos) attend to"
              + " every key and every query attends to them, on top of --window or causal"
              + " (causal keeps j <= i); with --segment-col within their own document. Not with"
              + " local-p, cross or --pyramid-levels (default: ${DEFAULT-VALUE}, none).")
  int globalTokens;

  @Option(
      names = "--global-col",
      paramLabel = "COL",
      description =
          "Global tokens from data: the rows where boolean column COL is true attend to every key"
              + " and every query attends to them, on top of --window or causal (causal keeps j <="
              + " i), with --segment-col within their own document; a null value is refused. Not"
              + " with --global-tokens (mark those rows instead), local-p, cross or"
              + " --pyramid-levels.")
  String globalColumn;

  @Option(
      names = "--emit-weights",
      paramLabel = "PATH",
      description =
          "Also write the attention maps there (format as --output): one row per (seq_id, head,"
              + " pos) with the weights of every key; draw them with jobs/attention-map.")
  String emitWeights;

  @Option(
      names = "--emit-weights-max-length",
      paramLabel = "N",
      description =
          "Refuse --emit-weights if a sequence is longer (a map is n² numbers per head;"
              + " default: ${DEFAULT-VALUE}).")
  int emitWeightsMaxLength = AttentionMaps.DEFAULT_MAX_LENGTH;

  @Mixin Verbosity verbosity;

  /** Parses and validates the options into a config (weights are read at run time). */
  AttentionJobConfig config() {
    engine.validated();
    TableFormat fmt = tables.format();
    AttentionKind kind = AttentionKind.parse(attention);
    Strategy strat;
    try {
      strat = Strategy.parse(strategy);
    } catch (IllegalArgumentException e) {
      throw new InputException("--strategy: " + e.getMessage());
    }
    Mask mask = kind.mask(window, causal);
    ContextTable contextTable = contextTable(kind);
    try {
      AttentionMaps.Request maps =
          emitWeights == null ? null : new AttentionMaps.Request(emitWeights, emitWeightsMaxLength);
      AttentionSpec spec =
          scores
              .applyTo(precision.applyTo(AttentionSpec.builder()))
              .mask(mask)
              .heads(heads)
              .strategy(strat)
              .blockSize(blockSize)
              .queryTileBlocks(queryTileBlocks)
              .keyTileBlocks(keyTileBlocks)
              .partitions(partitions)
              .selection(selection(kind))
              .localP(kind.localPWindow(window))
              .pyramidLevels(pyramidLevels)
              .cross(kind == AttentionKind.CROSS)
              .segmentColumn(segmentColumn)
              .globalTokens(globalTokens)
              .globalColumn(globalColumn)
              .windowClip(windowClip)
              .build();
      AttentionRequest request =
          AttentionRequest.builder()
              .input(tables.input())
              .output(tables.output())
              .format(fmt)
              .vectorType(vectorType == null ? null : VectorType.parse(vectorType))
              .overwrite(tables.overwrite())
              .spec(spec)
              .context(contextTable)
              .maps(maps)
              .build();
      return new AttentionJobConfig(request, weights);
    } catch (InputException e) {
      throw OPTIONS.named(e);
    }
  }

  /** Soft, or hard (argmax or sampled) from --attention hard, --sample and --seed. */
  private Selection selection(AttentionKind kind) {
    if (sample && kind != AttentionKind.HARD) {
      throw new InputException("--sample needs --attention hard");
    }
    if (seed != null && !sample) {
      throw new InputException("--seed applies to --sample (sampled hard attention)");
    }
    if (kind != AttentionKind.HARD) {
      return Selection.soft();
    }
    return sample ? Selection.sampled(seed == null ? DEFAULT_SAMPLE_SEED : seed) : Selection.hard();
  }

  /** The context table of cross-attention (null otherwise), its format as --format or its name. */
  private ContextTable contextTable(AttentionKind kind) {
    if (kind != AttentionKind.CROSS) {
      if (context != null) {
        throw new InputException("--context applies to --attention cross");
      }
      return null;
    }
    if (context == null) {
      throw new InputException("--attention cross needs --context PATH (the keys/values table)");
    }
    return new ContextTable(context, tables.formatFor(context));
  }

  /**
   * Runs the job: read, validate, plan, compute, write. Nothing is written unless every check
   * passes and every token has its row.
   *
   * @return the number of rows written
   */
  public static long run(SparkSession spark, AttentionJobConfig config) {
    AttentionRequest request = config.request();
    if (config.weightsPath() != null) {
      AttentionWeights w =
          WeightsFile.read(config.weightsPath(), spark.sparkContext().hadoopConfiguration());
      request = request.withSpec(request.spec().toBuilder().weights(w).build());
    }
    SparkAttention.Outcome outcome = SparkAttention.run(spark, request);
    for (PyramidReduction.Level level : outcome.pyramid()) {
      System.out.println(level.describe());
    }
    return outcome.rowsWritten();
  }

  @Override
  public Integer call() throws Exception {
    AttentionJobConfig config = config();
    return JobLauncher.inSession(
        engine.applyTo(SparkSession.builder().appName("spark-attention")),
        spark -> run(spark, config));
  }

  public static void main(String[] args) {
    System.exit(JobLauncher.execute(new AttentionJob(), args));
  }
}
