package io.sparkattention.cost;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The figures of a {@link TimeModel} with where they came from: the kernel's rates (measured on one
 * core at a block size and head width) and the fitted fixed figures, with the machine, its cores
 * and the matrix engine. A measured cost report writes one ({@code calibration.properties}); {@code
 * --predict --calibration FILE} reads it.
 *
 * @param machine CPU model and cores of the machine measured
 * @param engine matrix engine of the kernel
 * @param blockSize block size of the kernel measurement
 * @param dHead head width of the kernel measurement
 * @param flopsPerSecond g per slot
 * @param scoresPerSecond e per slot (infinite: not separated)
 * @param shuffleBytesPerSecond r per slot (infinite: fitted to no cost)
 * @param taskSeconds c_task
 * @param stageSeconds c_stage
 * @param source what the fixed figures were fitted to (a sentence)
 */
public record Calibration(
    String machine,
    String engine,
    int blockSize,
    int dHead,
    double flopsPerSecond,
    double scoresPerSecond,
    double shuffleBytesPerSecond,
    double taskSeconds,
    double stageSeconds,
    String source) {

  /**
   * The fixed figures fitted ({@link TimeFit}) to the default sweep measured on an idle machine
   * (docs/cost-report/idle-2026-11-25/results.csv: 2 cores, AMD EPYC, local[2], Kryo, shuffle
   * compression off, kernel 33.9 GFLOP/s per slot), used by {@code --predict} without a calibration
   * file: shuffle bytes per second per slot (600.7 MB/s), seconds per task wave (0.452), seconds
   * per stage (0.017). The loaded sweep of 2026-11-28 (docs/cost-report/loaded-2026-11-28/) ran on
   * a machine loaded several times over, whose fit is not a machine's figure; the idle one of that
   * day (docs/cost-report/) ran on a slower machine. See docs/cost-report.md.
   */
  public static final double[] DEFAULT_FIXED = {600.7e6, 0.452, 0.017};

  /** The model of these figures on {@code slots} slots of {@code taskMemoryBytes} each. */
  public TimeModel model(long slots, long taskMemoryBytes) {
    return new TimeModel(
        flopsPerSecond,
        scoresPerSecond,
        shuffleBytesPerSecond,
        taskSeconds,
        stageSeconds,
        slots,
        taskMemoryBytes);
  }

  /** These figures with the fixed ones of {@code m} (fitted) and where they came from. */
  public Calibration withFixed(TimeModel m, String source) {
    return new Calibration(
        machine,
        engine,
        blockSize,
        dHead,
        flopsPerSecond,
        scoresPerSecond,
        m.shuffleBytesPerSecond(),
        m.taskSeconds(),
        m.stageSeconds(),
        source);
  }

  /** Writes these figures as a properties file. */
  public void write(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("machine", machine);
    p.setProperty("engine", engine);
    p.setProperty("block_size", Integer.toString(blockSize));
    p.setProperty("d_head", Integer.toString(dHead));
    p.setProperty("kernel_flops_per_second", Double.toString(flopsPerSecond));
    p.setProperty("softmax_scores_per_second", Double.toString(scoresPerSecond));
    p.setProperty("shuffle_bytes_per_second", Double.toString(shuffleBytesPerSecond));
    p.setProperty("task_seconds", Double.toString(taskSeconds));
    p.setProperty("stage_seconds", Double.toString(stageSeconds));
    p.setProperty("source", source);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, "spark-attention cost-report calibration (per slot; see docs/cost-report.md)");
    }
  }

  /**
   * Reads a file {@link #write} wrote.
   *
   * @throws IllegalArgumentException naming the file and the key if a figure is missing or bad
   * @throws IOException if the file cannot be read
   */
  public static Calibration read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    try {
      Calibration c =
          new Calibration(
              text(p, file, "machine"),
              text(p, file, "engine"),
              (int) number(p, file, "block_size"),
              (int) number(p, file, "d_head"),
              number(p, file, "kernel_flops_per_second"),
              number(p, file, "softmax_scores_per_second"),
              number(p, file, "shuffle_bytes_per_second"),
              number(p, file, "task_seconds"),
              number(p, file, "stage_seconds"),
              text(p, file, "source"));
      c.model(1, 0); // checks the figures
      return c;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("calibration file " + file + ": " + e.getMessage(), e);
    }
  }

  private static String text(Properties p, Path file, String key) {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IllegalArgumentException("missing " + key);
    }
    return v;
  }

  private static double number(Properties p, Path file, String key) {
    String v = text(p, file, key);
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " is not a number: '" + v + "'");
    }
  }

  /** One line for reports. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s, engine %s, kernel measured at blocks of %d, head width %d",
        machine,
        engine,
        blockSize,
        dHead);
  }

  /** This machine: its cores and CPU model. */
  public static String thisMachine() {
    String cpu = "unknown CPU";
    try (java.util.stream.Stream<String> lines =
        java.nio.file.Files.lines(java.nio.file.Paths.get("/proc/cpuinfo"))) {
      cpu =
          lines
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse(cpu);
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: keep "unknown CPU"
    }
    return Runtime.getRuntime().availableProcessors() + " cores, " + cpu;
  }
}
