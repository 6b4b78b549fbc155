package io.sparkattention.cost;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Writes a cost report's {@code results.csv} and {@code report.md}. */
public final class ReportFiles {
  private ReportFiles() {}

  /** The local-is-this-many-times-cheaper threshold the report's crossover looks for. */
  static final double CROSSOVER_RATIO = 10.0;

  /** Name prefix of the pyramid configuration ({@code global-pyramid-L2}: two levels). */
  static final String PYRAMID_PREFIX = "global-pyramid-L";

  /** Writes {@code results.csv} with {@link CostRow#HEADER}. */
  public static void writeCsv(List<CostRow> rows, Path file) throws IOException {
    StringBuilder b = new StringBuilder(String.join(",", CostRow.HEADER)).append('\n');
    for (CostRow r : rows) {
      List<String> cells = new ArrayList<>();
      for (Object v : r.values()) {
        cells.add(
            v instanceof Double
                ? ((Double) v).isNaN() ? "" : String.format(Locale.ROOT, "%.6g", (Double) v)
                : String.valueOf(v));
      }
      b.append(String.join(",", cells)).append('\n');
    }
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  /**
   * Writes {@code report.md}: per-length table, global/local and causal/global ratios, the
   * crossover length, the model's errors, and the settings it ran on.
   *
   * @param settings name → value lines describing the machine and Spark settings
   * @param charts chart file names to embed
   */
  public static void writeMarkdown(
      List<CostRow> rows, Map<String, String> settings, List<String> charts, Path file)
      throws IOException {
    writeMarkdown(rows, null, List.of(), settings, charts, file);
  }

  /**
   * As {@link #writeMarkdown(List, Map, List, Path)}, with the fitted time model's terms and
   * held-out predictions ({@code fitted}, null: none) and the 2× crossovers, measured and predicted
   * ({@code crossovers}, pairs of results per window).
   */
  public static void writeMarkdown(
      List<CostRow> rows,
      TimeFit.Fitted fitted,
      List<Crossover.Result> crossovers,
      Map<String, String> settings,
      List<String> charts,
      Path file)
      throws IOException {
    StringBuilder b = new StringBuilder("# Cost report: global against local attention\n\n");
    b.append("Medians over the repeats. Time is wall time of the whole job (read, validate, ")
        .append("attend, write); FLOPs are the useful ones (pairs the mask allows, 4·d each); ")
        .append("shuffle bytes are Spark's `bytesWritten`.\n\n");
    b.append(
        "| config | n | wall s | GFLOP/s | tasks | longest task s | shuffle MiB | spilled MiB | model shuffle MiB | model s |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (CostRow r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f | %.2f | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
              r.config(),
              r.seqLen(),
              r.wallMillis() / 1000.0,
              r.effectiveGflops(),
              r.sparkTasks(),
              r.longestTaskMillis() / 1000.0,
              mib(r.shuffleBytesWritten()),
              mib(r.bytesSpilled()),
              mib(r.modelShuffleBytes()),
              r.modelWallMillis() / 1000.0));
    }
    for (String config : configs(rows)) {
      if (config.startsWith(PYRAMID_PREFIX)) {
        b.append(
            String.format(
                Locale.ROOT,
                "\n`%s`: global attention (blocks) after a pyramidal encoder of %s levels, over n/2^L"
                    + " steps of width 2^L·d (1/2^L of global's FLOPs); its shuffle includes the"
                    + " reduce stage, which ships every input token once.\n",
                config,
                config.substring(PYRAMID_PREFIX.length())));
      }
      java.util.regex.Matcher g = GLOBAL_TOKENS.matcher(config);
      if (g.matches()) {
        b.append(
            String.format(
                Locale.ROOT,
                "\n`%s`: `%s` with the first %s positions of each sequence global tokens"
                    + " (Longformer: they attend to every key and every query attends to them).\n",
                config,
                g.group(1),
                g.group(2)));
      }
    }
    b.append("\n## Ratios per length\n\n");
    b.append(
        "| n | global / local time | causal / global time | global / local FLOPs | global / local shuffle |\n|---:|---:|---:|---:|---:|\n");
    Map<Long, Map<String, CostRow>> byLength = byLength(rows);
    Long crossover = null;
    for (Map.Entry<Long, Map<String, CostRow>> e : byLength.entrySet()) {
      CostRow g = e.getValue().get("global-blocks");
      CostRow l = e.getValue().get("local-window");
      CostRow c = e.getValue().get("causal-blocks");
      double gl = g != null && l != null ? g.wallMillis() / (double) l.wallMillis() : Double.NaN;
      if (crossover == null && gl >= CROSSOVER_RATIO) {
        crossover = e.getKey();
      }
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %s | %s | %s |\n",
              e.getKey(),
              ratio(gl),
              ratio(c != null && g != null ? c.wallMillis() / (double) g.wallMillis() : Double.NaN),
              ratio(
                  g != null && l != null
                      ? g.modelUsefulFlops() / l.modelUsefulFlops()
                      : Double.NaN),
              ratio(
                  g != null && l != null && l.shuffleBytesWritten() > 0
                      ? g.shuffleBytesWritten() / (double) l.shuffleBytesWritten()
                      : Double.NaN)));
    }
    b.append("\n");
    if (crossover != null) {
      b.append(
          String.format(
              Locale.ROOT,
              "**Crossover:** from n = %d on, local attention is at least %.0f× cheaper than global in measured time.\n\n",
              crossover,
              CROSSOVER_RATIO));
    } else {
      b.append(
          String.format(
              Locale.ROOT,
              "**Crossover:** local attention was not %.0f× cheaper than global in measured time at any length run "
                  + "(fixed job overhead dominates short runs); extrapolate from the FLOP ratio above, which grows as n/(2w+1).\n\n",
              CROSSOVER_RATIO));
    }
    if (!crossovers.isEmpty()) {
      b.append(
          String.format(
              Locale.ROOT,
              "## Crossover: local more than %.0f× cheaper than global\n\n",
              Crossover.RATIO));
      for (Crossover.Result c : crossovers) {
        b.append("- ").append(c.describe());
        b.append(".\n");
      }
      b.append(
          "\nMeasured: interpolated between the lengths run (log n against log ratio); predicted: the"
              + " fitted time model's global (blocks) / local (window) ratio on lengths four per doubling.\n\n");
    }
    if (fitted != null) {
      appendTerms(b, fitted);
    }
    b.append("## The model against the measurement\n\n");
    b.append("| config | n | shuffle error | time error |\n|---|---:|---:|---:|\n");
    double worstShuffle = 0;
    List<Double> timeErrors = new ArrayList<>();
    for (CostRow r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s | %+.1f %% |\n",
              r.config(),
              r.seqLen(),
              r.shuffleBytesWritten() == 0 && r.modelShuffleBytes() == 0
                  ? "no shuffle (both 0)"
                  : String.format(Locale.ROOT, "%+.2f %%", 100 * r.shuffleModelError()),
              100 * r.timeModelError()));
      if (Double.isFinite(r.shuffleModelError())) {
        worstShuffle = Math.max(worstShuffle, Math.abs(r.shuffleModelError()));
      }
      timeErrors.add(Math.abs(r.timeModelError()));
    }
    timeErrors.sort(null);
    b.append(
        String.format(
            Locale.ROOT,
            "\nModelled shuffle bytes are within %.2f %% of measured for every configuration. "
                + "The time model's median absolute error is %.0f %% (worst %.0f %%); it does not model JIT"
                + " warm-up, garbage collection or other work on the machine.\n\n",
            100 * worstShuffle,
            100 * timeErrors.get(timeErrors.size() / 2),
            100 * timeErrors.get(timeErrors.size() - 1)));
    for (String chart : charts) {
      b.append("![").append(chart).append("](").append(chart).append(")\n\n");
    }
    b.append("## Where it ran\n\n");
    settings.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  /** The fitted time model's terms per row, and its held-out predictions. */
  /** A configuration with N global tokens: its base name, then {@code -gN}. */
  private static final java.util.regex.Pattern GLOBAL_TOKENS =
      java.util.regex.Pattern.compile("(.*)-g(\\d+)");

  private static void appendTerms(StringBuilder b, TimeFit.Fitted f) {
    b.append("## The time model's terms\n\n");
    b.append("Fitted to every row: ").append(f.model().describe()).append(".\n\n");
    b.append(
        "| config | n | measured s | model s | kernel s | softmax s | shuffle s | task fixed s | stage fixed s | error | held-out s | held-out error |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    List<Double> errors = new ArrayList<>();
    List<Double> heldout = new ArrayList<>();
    for (CostRow r : f.rows()) {
      TimeModel.Terms t = r.modelTerms();
      errors.add(Math.abs(r.timeModelError()));
      if (!Double.isNaN(r.heldoutTimeError())) {
        heldout.add(Math.abs(r.heldoutTimeError()));
      }
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %+.0f %% | %s | %s |\n",
              r.config(),
              r.seqLen(),
              r.wallMillis() / 1000.0,
              r.modelWallMillis() / 1000.0,
              t.kernelSeconds(),
              t.softmaxSeconds(),
              t.shuffleSeconds(),
              t.taskFixedSeconds(),
              t.stageFixedSeconds(),
              100 * r.timeModelError(),
              r.heldoutWallMillis() < 0
                  ? "(calibration)"
                  : String.format(Locale.ROOT, "%.2f", r.heldoutWallMillis() / 1000.0),
              Double.isNaN(r.heldoutTimeError())
                  ? "–"
                  : String.format(Locale.ROOT, "%+.0f %%", 100 * r.heldoutTimeError())));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "\nFitted to every row, the model's |time error| has median %.0f %% and worst %.0f %%.",
            100 * median(errors),
            100 * max(errors)));
    if (f.heldout() != null && !heldout.isEmpty()) {
      b.append(
          String.format(
              Locale.ROOT,
              " Held out (fitted to n ≤ %d only, %s): on the longer runs its |error| has median %.0f %%"
                  + " and worst %.0f %%.",
              f.calibratedUpTo(),
              f.heldout().describe(),
              100 * median(heldout),
              100 * max(heldout)));
    }
    b.append(
        " The kernel's and the softmax's rates are measured on one core (never fitted); the shuffle"
            + " rate and the fixed costs per task wave and per stage are fitted by non-negative least"
            + " squares on relative error. The machine is shared with other work: the medians are"
            + " noisy.\n\n");
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
  }

  private static double max(List<Double> v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  static Map<Long, Map<String, CostRow>> byLength(List<CostRow> rows) {
    Map<Long, Map<String, CostRow>> m = new TreeMap<>();
    for (CostRow r : rows) {
      m.computeIfAbsent(r.seqLen(), k -> new TreeMap<>()).put(r.config(), r);
    }
    return m;
  }

  static TreeSet<String> configs(List<CostRow> rows) {
    TreeSet<String> s = new TreeSet<>();
    rows.forEach(r -> s.add(r.config()));
    return s;
  }

  private static String ratio(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "–";
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
