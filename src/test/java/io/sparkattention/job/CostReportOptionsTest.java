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

/** {@code --kv-heads} of the cost report: passed to the sweep, bad values refused naming it. */
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
}
