package io.sparkattention.job;

import io.sparkattention.cost.Calibration;
import io.sparkattention.cost.ClusterSpec;
import io.sparkattention.cost.Prediction;
import io.sparkattention.cost.PredictionRun;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.cost.MeasuredReport;
import io.sparkattention.spark.cost.SweepSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What exact global attention costs on Spark against local and causal attention: runs each
 * configuration over a range of sequence lengths, measures it, and writes {@code results.csv},
 * {@code report.md} and PNG charts beside the analytic model's figures.
 *
 * <p>Usage: {@code jobs/cost-report [spark-submit options --] --output DIR [--lengths
 * 1024,4096,16384,65536] [--d-model 64] [--heads 1] [--window 128] [--block-size 1024]
 * [--strategies blocks,window,heads,single] [--repeat 3] [--pyramid-levels 2] [--kv-heads G]
 * [--global-tokens N] [--input PATH]}
 */
@Command(
    name = "cost-report",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
      "Measures global, causal and local attention over sequence lengths and writes",
      "results.csv, report.md and charts (PNG) with the cost model beside the measurements.",
      "Shuffle compression is turned off for these runs so that bytes moved are what the model counts."
    })
public final class CostReportJob implements Callable<Integer> {
  // Option defaults, the sweep of docs/cost-report/: the initial values of the option fields (the
  // lists' as text for picocli to split), which --help shows.
  static final String DEFAULT_LENGTHS = "1024,4096,16384,65536";
  static final int DEFAULT_D_MODEL = 64;
  static final int DEFAULT_HEADS = 1;
  static final int DEFAULT_WINDOW = 128;
  static final String DEFAULT_STRATEGIES = "blocks,window,heads,single";
  static final int DEFAULT_REPEAT = 3;
  static final int DEFAULT_PYRAMID_LEVELS = 2;
  static final String DEFAULT_KINDS = "global,causal,local";

  @Option(
      names = {"--output", "--out"},
      required = true,
      paramLabel = "DIR",
      description = "Report directory (created; files in it are replaced).")
  String out;

  @Option(
      names = "--lengths",
      split = ",",
      paramLabel = "N,N,…",
      defaultValue = DEFAULT_LENGTHS,
      description = "Sequence lengths (default: ${DEFAULT-VALUE}).")
  List<Integer> lengths;

  @Option(
      names = "--d-model",
      paramLabel = "D",
      description = "Vector width (default: ${DEFAULT-VALUE}).")
  int dModel = DEFAULT_D_MODEL;

  @Option(
      names = "--heads",
      paramLabel = "H",
      description = "Heads; the heads strategy runs when H > 1 (default: ${DEFAULT-VALUE}).")
  int heads = DEFAULT_HEADS;

  @Option(
      names = "--window",
      split = ",",
      paramLabel = "W",
      defaultValue = "" + DEFAULT_WINDOW,
      description =
          "Local attention window; with --predict a list W,W,… (default: ${DEFAULT-VALUE}).")
  List<Integer> windows;

  @Option(
      names = "--block-size",
      split = ",",
      paramLabel = "B",
      defaultValue = "" + AttentionSpec.DEFAULT_BLOCK_SIZE,
      description =
          "Kernel block size; with --predict a list B,B,… to choose from (default: ${DEFAULT-VALUE}).")
  List<Integer> blockSizes;

  @Option(
      names = "--strategies",
      split = ",",
      paramLabel = "S,S,…",
      defaultValue = DEFAULT_STRATEGIES,
      description = "Which to run (default: ${DEFAULT-VALUE}).")
  List<String> strategies;

  @Option(
      names = "--repeat",
      paramLabel = "R",
      description = "Runs per configuration; medians are reported (default: ${DEFAULT-VALUE}).")
  int repeat = DEFAULT_REPEAT;

  @Option(
      names = "--pyramid-levels",
      paramLabel = "L",
      description =
          "Levels of the pyramid configuration: global attention (blocks) after a pyramidal encoder"
              + " of L levels, n/2^L steps of width 2^L·d; 0 leaves it out (default: ${DEFAULT-VALUE}).")
  int pyramidLevels = DEFAULT_PYRAMID_LEVELS;

  @Option(
      names = "--kv-heads",
      paramLabel = "G",
      description =
          "Also run each configuration (but the pyramid) as grouped-query attention with G < H"
              + " key/value heads (G dividing --heads), beside multi-head attention; both with seeded"
              + " random projections. Rows of G are named CONFIG-gqaG (default: off).")
  Integer kvHeads;

  @Option(
      names = "--global-tokens",
      paramLabel = "N",
      description =
          "Also run the window configuration with the first N positions of each sequence global"
              + " tokens (Longformer: they attend to every key and every query attends to them),"
              + " named local-window-gN (default: off).")
  Integer globalTokens;

  @Option(
      names = "--input",
      paramLabel = "PATH",
      description =
          "Use this token table (Parquet, or JSON lines by extension) instead of synthetic inputs.")
  String input;

  @Option(
      names = "--predict",
      description =
          "Predict instead of measuring: plans and the cost model only, no Spark job; needs"
              + " --executors, --executor-cores and --executor-memory.")
  boolean predict;

  @Option(
      names = "--attention",
      split = ",",
      paramLabel = "K,K,…",
      defaultValue = DEFAULT_KINDS,
      description =
          "With --predict: attention kinds, of global, causal, local, hard (default: ${DEFAULT-VALUE}).")
  List<String> kinds;

  @Mixin ClusterOptions cluster;

  @Mixin EngineChoice engine;

  @Mixin Verbosity verbosity;

  SweepSettings settings(Path workDir) throws IOException {
    engine.validated();
    if (lengths.isEmpty() || lengths.stream().anyMatch(n -> n < 1)) {
      throw new InputException("--lengths must be positive integers, got " + lengths);
    }
    if (cluster.clusterGiven()) {
      throw new InputException(
          "--executors, --executor-cores, --executor-memory and --core-hour-price describe a"
              + " cluster for --predict; a measured report runs on the --master given to"
              + " spark-submit");
    }
    Calibration other = cluster.calibration(); // read now: a bad file fails before any run
    if (windows.size() != 1 || blockSizes.size() != 1) {
      throw new InputException(
          "--window and --block-size take one value each without --predict, got "
              + windows
              + " and "
              + blockSizes);
    }
    int window = windows.get(0);
    int blockSize = blockSizes.get(0);
    if (dModel < 1 || heads < 1 || dModel % heads != 0) {
      throw new InputException("--heads " + heads + " must divide --d-model " + dModel);
    }
    if (window < 0 || blockSize < 1 || repeat < 1) {
      throw new InputException("--window must be >= 0, --block-size and --repeat >= 1");
    }
    Set<Strategy> s = parseStrategies();
    if (kvHeads != null && kvHeads < 1) {
      throw new InputException("--kv-heads must be >= 1, got " + kvHeads);
    }
    try {
      AttentionSpec.builder().pyramidLevels(pyramidLevels).build();
      if (kvHeads != null) {
        AttentionSpec.builder().heads(heads).kvHeads(kvHeads).build();
      }
    } catch (InputException e) {
      throw new OptionNames(Map.of("pyramidLevels", "--pyramid-levels", "kvHeads", "--kv-heads"))
          .named(e);
    }
    if (globalTokens != null && (globalTokens < 1 || !s.contains(Strategy.WINDOW) || window < 1)) {
      throw new InputException(
          "--global-tokens adds global tokens to the window configuration: it needs N >= 1, window"
              + " among --strategies and --window >= 1, got "
              + globalTokens
              + " with "
              + strategies
              + " and window "
              + window);
    }
    if (kvHeads != null && kvHeads >= heads) {
      throw new InputException(
          "--kv-heads must be below --heads ("
              + heads
              + ") to compare grouped-query with multi-head attention, got "
              + kvHeads);
    }
    return SweepSettings.builder()
        .lengths(lengths)
        .dModel(dModel)
        .numHeads(heads)
        .window(window)
        .blockSize(blockSize)
        .strategies(s)
        .repeats(repeat)
        .input(input)
        .workDir(workDir)
        .pyramidLevels(pyramidLevels)
        .kvHeads(kvHeads == null ? 0 : kvHeads)
        .otherCalibration(other, cluster.calibrationPath())
        .globalTokens(globalTokens == null ? 0 : globalTokens)
        .build();
  }

  /**
   * The prediction's settings from the options.
   *
   * @throws InputException naming the option for a missing or bad cluster value, a length above
   *     {@link Prediction#MAX_LENGTH}, an unknown kind or strategy, or a measured-only option
   */
  Prediction.Settings predictionSettings() {
    engine.validated();
    if (input != null || kvHeads != null || globalTokens != null) {
      throw new InputException(
          "--input, --kv-heads and --global-tokens are for measured reports; --predict plans"
              + " synthetic sequences of --lengths without projections or global tokens");
    }
    ClusterSpec spec = cluster.spec();
    if (lengths.isEmpty() || lengths.stream().anyMatch(n -> n < 1 || n > Prediction.MAX_LENGTH)) {
      throw new InputException(
          "--lengths must be 1 to " + Prediction.MAX_LENGTH + " with --predict, got " + lengths);
    }
    if (dModel < 1 || heads < 1 || dModel % heads != 0) {
      throw new InputException("--heads " + heads + " must divide --d-model " + dModel);
    }
    if (windows.stream().anyMatch(w -> w < 0) || blockSizes.stream().anyMatch(b -> b < 1)) {
      throw new InputException(
          "--window must be >= 0 and --block-size >= 1, got " + windows + " and " + blockSizes);
    }
    List<Prediction.Kind> k = new ArrayList<>();
    for (String name : kinds) {
      try {
        Prediction.Kind kind =
            Prediction.Kind.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
        if (!k.contains(kind)) {
          k.add(kind);
        }
      } catch (IllegalArgumentException e) {
        throw new InputException(
            "--attention: unknown kind '"
                + name
                + "' (valid with --predict: global, causal, local, hard)");
      }
    }
    List<Strategy> st = new ArrayList<>();
    for (Strategy s : parseStrategies()) {
      st.add(s);
    }
    return new Prediction.Settings(
        lengths.stream().map(Integer::longValue).toList(),
        k,
        st,
        heads,
        dModel,
        windows.stream().distinct().toList(),
        blockSizes.stream().distinct().toList(),
        spec);
  }

  private Set<Strategy> parseStrategies() {
    Set<Strategy> s = EnumSet.noneOf(Strategy.class);
    for (String name : strategies) {
      Strategy st;
      try {
        st = Strategy.parse(name);
      } catch (IllegalArgumentException e) {
        throw new InputException("--strategies: " + e.getMessage());
      }
      if (st == Strategy.AUTO) {
        throw new InputException("--strategies takes blocks, window, heads, single (not auto)");
      }
      s.add(st);
    }
    return s;
  }

  @Override
  public Integer call() throws Exception {
    if (predict) {
      predict(predictionSettings(), Paths.get(out));
      return JobLauncher.OK;
    }
    Path dir = Paths.get(out);
    Path work = dir.resolve("work");
    SweepSettings settings = settings(work.toAbsolutePath());
    Files.createDirectories(work);
    try {
      return JobLauncher.inSession(
          engine
              .applyTo(SparkSession.builder())
              .appName("spark-attention cost report")
              // Raw bytes on the wire, as the model counts them (lz4 would fold repeated vectors).
              .config("spark.shuffle.compress", "false"),
          spark -> MeasuredReport.write(spark, settings, dir));
    } finally {
      deleteTree(work);
    }
  }

  /** Predicts (no Spark) into {@code dir}, and prints the choice made for each case. */
  private void predict(Prediction.Settings p, Path dir) throws IOException {
    String engineName = engine.applyToThisJvm();
    Calibration file = cluster.calibration();
    Prediction.Result result =
        PredictionRun.run(
            p,
            file,
            file != null
                ? "read from " + cluster.calibrationPath()
                : "kernel measured now on this machine ("
                    + Calibration.thisMachine()
                    + ", engine "
                    + MatrixEngine.defaultEngine().name()
                    + ", --engine "
                    + engineName
                    + "), taken as the rate of one cluster core",
            dir);
    for (Prediction.Choice ch : result.choices()) {
      System.err.println(
          ch.kind().label()
              + (ch.kind() == Prediction.Kind.LOCAL ? " w=" + ch.window() : "")
              + " n="
              + ch.seqLen()
              + ": "
              + ch.why());
    }
    System.err.println("predicted cost report written to " + dir.resolve("report.md"));
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(p)) {
      s.forEach(all::add);
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(all.get(i));
    }
  }

  public static void main(String[] args) {
    System.exit(JobLauncher.execute(new CostReportJob(), args));
  }
}
