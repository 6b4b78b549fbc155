package io.sparkattention.job;

import io.sparkattention.chart.AttentionMapChart;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.maps.AttentionMapReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Draws one attention map, written by {@code jobs/attention --emit-weights}, as a PNG heat map
 * (queries down, keys across; {@link AttentionMapChart}).
 *
 * <p>Usage: {@code jobs/attention-map [spark-submit options] -- --input WEIGHTS --output FILE.png
 * [--seq-id S] [--head H] [--format parquet|json] [--overwrite]}
 */
@Command(
    name = "attention-map",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    description = {
      "Draws the attention weights of one sequence and head (from jobs/attention --emit-weights)",
      "as a PNG heat map: query positions down, key positions across."
    })
public final class AttentionMapJob implements Callable<Integer> {
  /** The first head, as the first seq_id is drawn by default. */
  static final int DEFAULT_HEAD = 0;

  private static final Logger LOG = LoggerFactory.getLogger(AttentionMapJob.class);

  @Option(
      names = "--input",
      required = true,
      paramLabel = "WEIGHTS",
      description = "The table written by jobs/attention --emit-weights.")
  String input;

  @Option(
      names = {"--output", "--out"},
      required = true,
      paramLabel = "FILE.png",
      description = "The PNG to write; must not exist unless --overwrite.")
  String out;

  @Option(
      names = "--seq-id",
      paramLabel = "S",
      description = "The sequence to draw (default: the first seq_id, as text).")
  String seqId;

  @Option(
      names = "--head",
      paramLabel = "H",
      description = "The head to draw (default: ${DEFAULT-VALUE}).")
  int head = DEFAULT_HEAD;

  @Option(
      names = "--format",
      paramLabel = "parquet|json",
      description = "Format of the weights table (default: from its files).")
  String format;

  @Option(names = "--overwrite", description = "Replace an existing PNG.")
  boolean overwrite;

  @Mixin Verbosity verbosity;

  /** Parses and validates the options. */
  AttentionMapConfig config() {
    if (!out.toLowerCase(Locale.ROOT).endsWith(".png")) {
      throw new InputException("--out must name a .png file, got " + out);
    }
    if (head < 0) {
      throw new InputException("--head must be >= 0, got " + head);
    }
    TableFormat fmt = format == null ? null : TableFormat.parse(format);
    return new AttentionMapConfig(input, out, fmt, seqId, head, overwrite);
  }

  /**
   * Reads the map and writes the PNG (nothing is written unless the map was read completely).
   *
   * @return the PNG's path
   */
  public static Path run(SparkSession spark, AttentionMapConfig config) {
    Path png = Paths.get(config.out());
    if (Files.exists(png) && !config.overwrite()) {
      throw new InputException(
          "--out already exists: " + config.out() + " (use --overwrite to replace it)");
    }
    AttentionMapReader.Selected map =
        AttentionMapReader.read(
            spark, config.input(), config.format(), config.seqId(), config.head());
    String title =
        "Attention weights: seq_id "
            + map.seqId()
            + ", head "
            + map.head()
            + " ("
            + map.weights().length
            + " tokens)";
    try {
      Path parent = png.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      AttentionMapChart.writePng(map.weights(), title, png);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + png + " failed: " + e.getMessage(), e);
    }
    LOG.info(
        "drew seq_id {} head {} ({} tokens; the table has {} sequence(s)) into {}",
        map.seqId(),
        map.head(),
        map.weights().length,
        map.sequences(),
        png);
    return png;
  }

  @Override
  public Integer call() throws Exception {
    AttentionMapConfig config = config();
    return JobLauncher.inSession(
        SparkSession.builder().appName("spark-attention map"), spark -> run(spark, config));
  }

  public static void main(String[] args) {
    System.exit(JobLauncher.execute(new AttentionMapJob(), args));
  }
}
