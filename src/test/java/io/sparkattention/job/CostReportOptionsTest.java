package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.cost.SweepSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code --kv-heads} and {@code --global-tokens} of the cost report: passed to the sweep, bad
 * values refused naming the option.
 */
class CostReportOptionsTest {
  static SweepSettings settings(String... args) {
    CostReportJob job = new CostReportJob();
    new CommandLine(job).parseArgs(args);
    try {
      return job.settings(Path.of("work"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "--heads {0} --kv-heads {1}")
  @CsvSource({"4, 2", "4, 1", "2, 1"})
  void kvHeadsReachTheSweep(int heads, int kvHeads) {
    SweepSettings s = settings("--output", "r", "--heads", "" + heads, "--kv-heads", "" + kvHeads);
    assertEquals(kvHeads, s.kvHeads());
    assertEquals(0, settings("--output", "r", "--heads", "" + heads).kvHeads(), "off by default");
  }

  @ParameterizedTest(name = "--heads {0} --kv-heads {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "4 | 0  | --kv-heads must be >= 1, got 0",
        "4 | -2 | --kv-heads must be >= 1, got -2",
        "4 | 3  | --kv-heads must divide heads (4), got 3",
        "4 | 8  | --kv-heads must divide heads (4), got 8",
        "4 | 4  | --kv-heads must be below --heads (4) to compare grouped-query with multi-head"
            + " attention, got 4",
        "1 | 1  | --kv-heads must be below --heads (1) to compare grouped-query with multi-head"
            + " attention, got 1"
      })
  void badKvHeadsAreRefusedNamingTheOption(int heads, int kvHeads, String message) {
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                settings(
                    "--output",
                    "r",
                    "--d-model",
                    "8",
                    "--heads",
                    "" + heads,
                    "--kv-heads",
                    "" + kvHeads));
    assertEquals(message, e.getMessage());
  }

  @Test
  void aMissingCalibrationIsRefusedBeforeAnyRun() {
    InputException e =
        assertThrows(
            InputException.class,
            () -> settings("--output", "r", "--calibration", "no/such/calibration.properties"));
    assertEquals("--calibration: no such file no/such/calibration.properties", e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void globalTokensReachTheSweep() {
    assertEquals(16, settings("--output", "r", "--global-tokens", "16").globalTokens());
    assertEquals(0, settings("--output", "r").globalTokens(), "off by default");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--global-tokens 0 | 0 with [blocks, window, heads, single] and window 128",
        "--global-tokens 4 --strategies blocks | 4 with [blocks] and window 128",
        "--global-tokens 4 --window 0 | 4 with [blocks, window, heads, single] and window 0"
      })
  void badGlobalTokensAreRefusedNamingTheOption(String options, String got) {
    String[] extra = options.split(" ");
    String[] args = new String[extra.length + 2];
    args[0] = "--output";
    args[1] = "r";
    System.arraycopy(extra, 0, args, 2, extra.length);
    InputException e = assertThrows(InputException.class, () -> settings(args));
    assertEquals(
        "--global-tokens adds global tokens to the window configuration: it needs N >= 1, window"
            + " among --strategies and --window >= 1, got "
            + got,
        e.getMessage());
  }
}
