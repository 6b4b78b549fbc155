package io.sparkattention.job;

import io.sparkattention.cost.CostRow;
import io.sparkattention.cost.ReportCharts;
import io.sparkattention.cost.ReportFiles;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.cost.CostSweep;
import io.sparkattention.spark.cost.SweepSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
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
 * [--input PATH]}
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
      paramLabel = "W",
      description = "Local attention window (default: ${DEFAULT-VALUE}).")
  int window = DEFAULT_WINDOW;

  @Option(
      names = "--block-size",
      paramLabel = "B",
      description = "Kernel block size (default: ${DEFAULT-VALUE}).")
  int blockSize = AttentionSpec.DEFAULT_BLOCK_SIZE;

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
      names = "--input",
      paramLabel = "PATH",
      description =
          "Use this token table (Parquet, or JSON lines by extension) instead of synthetic inputs.")
  String input;

  @Mixin EngineChoice engine;

  @Mixin Verbosity verbosity;

  SweepSettings settings(Path workDir) {
    engine.validated();
    if (lengths.isEmpty() || lengths.stream().anyMatch(n -> n < 1)) {
      throw new InputException("--lengths must be positive integers, got " + lengths);
    }
    if (dModel < 1 || heads < 1 || dModel % heads != 0) {
      throw new InputException("--heads " + heads + " must divide --d-model " + dModel);
    }
    if (window < 0 || blockSize < 1 || repeat < 1) {
      throw new InputException("--window must be >= 0, --block-size and --repeat >= 1");
    }
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
        .build();
  }

  @Override
  public Integer call() throws Exception {
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
          spark -> report(spark, settings, dir));
    } finally {
      deleteTree(work);
    }
  }

  /** Calibrates, sweeps and writes results.csv, the charts and report.md into {@code dir}. */
  private static void report(SparkSession spark, SweepSettings settings, Path dir)
      throws IOException {
    CostSweep.Calibration cal = CostSweep.calibrate(spark, settings);
    List<CostRow> rows = CostSweep.sweep(spark, settings, cal);
    ReportFiles.writeCsv(rows, dir.resolve("results.csv"));
    List<String> charts = ReportCharts.write(rows, dir);
    ReportFiles.writeMarkdown(rows, describe(spark, cal), charts, dir.resolve("report.md"));
    System.err.println("cost report written to " + dir.resolve("report.md"));
  }

  private static Map<String, String> describe(SparkSession spark, CostSweep.Calibration cal) {
    SparkConf conf = spark.sparkContext().getConf();
    Map<String, String> m = new LinkedHashMap<>();
    m.put("date", LocalDate.now().toString());
    m.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + cpuModel());
    m.put("Java", System.getProperty("java.version"));
    m.put(
        "Spark",
        spark.version()
            + ", master "
            + conf.get("spark.master", "?")
            + ", default parallelism "
            + spark.sparkContext().defaultParallelism());
    m.put(
        "driver memory",
        conf.get("spark.driver.memory", "1g (default)")
            + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MiB");
    m.put(
        "serializer",
        conf.get("spark.serializer", "JavaSerializer (default)") + "; shuffle compression off");
    m.put(
        "matrix engine",
        cal.engine()
            + ", calibrated kernel "
            + String.format("%.1f", cal.kernelGflops())
            + " GFLOP/s per slot");
    m.put(
        "time model",
        String.format(
            "overhead %.2f s + executed FLOPs at %.1f GFLOP/s per slot + shuffle bytes at %.1f MB/s per slot, %d slots",
            cal.model().overheadSeconds(),
            cal.model().flopsPerSecondPerSlot() / 1e9,
            cal.model().shuffleBytesPerSecondPerSlot() / 1e6,
            cal.model().slots()));
    return m;
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Paths.get("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .orElse("unknown CPU");
    } catch (IOException | RuntimeException e) {
      return "unknown CPU";
    }
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
