package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.Calibration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shuffle model the docs quote ("modelled shuffle bytes match the measured ones to within 0.04
 * %"), bounded: the cost-report job run as a user runs it, in its own JVM, because it needs its own
 * Spark context with shuffle compression off (the shared test session compresses, so the in-session
 * sweep test cannot compare bytes).
 */
class CostReportShuffleModelTest {
  /** Relative error allowed (a framing off by one byte per routed record is 0.5 % and more). */
  static final double TOLERANCE = 0.002;

  @TempDir static Path dir;

  /** The first report (every kind of shuffle) and the grouped-query one. */
  static Path out;

  static Path gqaOut;

  /** The calibration from elsewhere the first report predicts from. */
  static Path elsewhere;

  /**
   * Both reports, one after the other in one child JVM, each in a Spark context of its own as
   * {@code jobs/cost-report} starts it: one JVM start-up for the two.
   */
  @BeforeAll
  static void runBothReports() throws IOException, InterruptedException {
    out = dir.resolve("report");
    gqaOut = dir.resolve("report-gqa");
    // A calibration from elsewhere (figures of this machine's kind): every run is also predicted
    // from it, beside its measurement.
    elsewhere = dir.resolve("elsewhere.properties");
    new Calibration("2 cores, test", "blas", 16, 4, 3e10, 1e9, 6e8, 0.45, 0.02, "a test")
        .write(elsewhere);
    run(
        List.of(
            "--calibration",
            elsewhere.toString(),
            "--output",
            out.toString(),
            "--lengths",
            "64,256",
            "--d-model",
            "8",
            "--heads",
            "2",
            "--window",
            "4",
            "--block-size",
            "16",
            "--repeat",
            "1",
            "--pyramid-levels",
            "2"),
        // Grouped-query attention with keys and values projected before the shuffle.
        List.of(
            "--output",
            gqaOut.toString(),
            "--lengths",
            "64,256",
            "--d-model",
            "8",
            "--heads",
            "4",
            "--kv-heads",
            "1",
            "--strategies",
            "blocks",
            "--block-size",
            "16",
            "--repeat",
            "1"));
  }

  @Test
  void modelledShuffleBytesMatchTheMeasuredOnes() throws Exception {
    List<String> lines = Files.readAllLines(out.resolve("results.csv"), StandardCharsets.UTF_8);
    Set<String> configs = new HashSet<>();
    modelledAgainstMeasured(lines).keySet().forEach(k -> configs.add(k.split("@")[0]));
    // global, causal, local, heads, single and the pyramid: every kind of shuffle was compared.
    assertTrue(configs.size() >= 5, "configurations compared: " + configs);

    List<String> predicted =
        Files.readAllLines(out.resolve("predicted-from-calibration.csv"), StandardCharsets.UTF_8);
    assertEquals(lines.size(), predicted.size(), "every run predicted: " + predicted);
    for (String line : predicted.subList(1, predicted.size())) {
      assertTrue(Long.parseLong(line.split(",")[3]) > 0, line);
    }
    String report = Files.readString(out.resolve("report.md"), StandardCharsets.UTF_8);
    assertTrue(report.contains("## Predicted from another calibration"), report);
    assertTrue(report.contains(elsewhere + " (a test)"), report);
  }

  /**
   * Grouped-query attention with keys and values projected before the shuffle: d = 8, 4 heads of 2,
   * G = 1 ships 4 doubles per key row (G = 4: 8 raw; the head split: 4 per group's task). The model
   * matches the measured bytes, and the measured bytes shrink with G.
   */
  @Test
  void projectedKeysShrinkTheMeasuredShuffleAsModelled() throws Exception {
    java.util.Map<String, Long> bytes =
        modelledAgainstMeasured(
            Files.readAllLines(gqaOut.resolve("results.csv"), StandardCharsets.UTF_8));
    for (String c : new String[] {"global-blocks", "causal-blocks"}) {
      assertTrue(
          bytes.get(c + "-gqa1@256") < bytes.get(c + "@256"),
          c + ": measured G=1 " + bytes.get(c + "-gqa1@256") + " B, G=4 " + bytes.get(c + "@256"));
    }
  }

  /**
   * Asserts that every row of a report's results.csv ({@code lines}, header first) measured shuffle
   * bytes and that the model is within {@link #TOLERANCE} of them; the measured bytes by
   * "config@seq_len".
   */
  static java.util.Map<String, Long> modelledAgainstMeasured(List<String> lines) {
    List<String> header = Arrays.asList(lines.get(0).split(","));
    int config = header.indexOf("config");
    int n = header.indexOf("seq_len");
    int measured = header.indexOf("shuffle_write_bytes");
    int model = header.indexOf("model_shuffle_bytes");
    java.util.Map<String, Long> bytes = new java.util.HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      long m = Long.parseLong(f[measured]);
      long p = Long.parseLong(f[model]);
      assertTrue(m > 0, line);
      assertTrue(
          Math.abs(p - m) <= TOLERANCE * m,
          f[config] + " n=" + f[n] + ": model " + p + " B, measured " + m + " B");
      bytes.put(f[config] + "@" + f[n], m);
    }
    return bytes;
  }

  /**
   * Runs CostReportJob once per argument list, in order, in one child JVM ({@link Reports}) with
   * conf/spark-defaults.conf, as jobs/cost-report does; each report's directory must hold its
   * results.csv.
   */
  @SafeVarargs
  private static void run(List<String>... reports) throws IOException, InterruptedException {
    Path root = Paths.get("").toAbsolutePath();
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + root.resolve("conf/jvm-options.txt"));
    command.add("-Xmx1g");
    // Quick to start, as ChildJob's: the reports' tiny runs are start-up and JIT, and only their
    // bytes are checked here, not their times.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Dspark.master=local[2]");
    command.add("-Dspark.ui.enabled=false");
    command.add("-Dspark.kryo.registrationRequired=true");
    for (String line : Files.readAllLines(root.resolve("conf/spark-defaults.conf"))) {
      String[] kv = line.strip().split("\\s+", 2);
      if (kv.length == 2 && !kv[0].startsWith("#")) {
        command.add("-D" + kv[0] + "=" + kv[1]);
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Reports.class.getName());
    for (int i = 0; i < reports.length; i++) {
      if (i > 0) {
        command.add(Reports.NEXT);
      }
      command.addAll(reports[i]);
    }
    Path log = dir.resolve("cost-report.log");
    Process child =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!child.waitFor(600, TimeUnit.SECONDS)) {
      child.destroyForcibly().waitFor();
      throw new AssertionError("cost-report did not finish in 600 s: " + Files.readString(log));
    }
    assertEquals(0, child.exitValue(), "cost-report failed:\n" + Files.readString(log));
    for (List<String> r : reports) {
      Path o = Paths.get(r.get(r.indexOf("--output") + 1));
      assertTrue(Files.exists(o.resolve("results.csv")), "no results.csv in " + o);
    }
  }

  /**
   * The child's main: {@link CostReportJob} launched as its {@code main} launches it, once per
   * argument list ({@value #NEXT} between lists); exits with the first failing launch's code.
   */
  static final class Reports {
    static final String NEXT = "+next-report";

    private Reports() {}

    public static void main(String[] args) {
      List<String> current = new ArrayList<>();
      List<String> all = new ArrayList<>(Arrays.asList(args));
      all.add(NEXT);
      for (String a : all) {
        if (!a.equals(NEXT)) {
          current.add(a);
          continue;
        }
        int code = JobLauncher.execute(new CostReportJob(), current.toArray(new String[0]));
        if (code != JobLauncher.OK) {
          System.exit(code);
        }
        current.clear();
      }
      System.exit(JobLauncher.OK);
    }
  }
}
