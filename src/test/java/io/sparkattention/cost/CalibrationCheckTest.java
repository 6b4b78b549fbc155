package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Another calibration's predictions beside measured runs, on a case worked out by hand. */
class CalibrationCheckTest {
  /** TimeModelTest's model and merging plan: 1 + 0.25 + 0.75 + 0.4 + 2.0 = 4.4 s. */
  private static final TimeModel MODEL = TimeModelTest.MODEL;

  private static final CostEstimate PLAN = TimeModelTest.MERGING_PLAN;

  private static CostRow row(String config, long n, long wallMillis, CostEstimate estimate) {
    return new CostRow(
        config,
        "global",
        "blocks",
        n,
        2,
        1,
        0,
        4,
        1,
        1,
        wallMillis,
        0,
        0,
        1,
        100,
        100,
        0,
        0,
        2e9,
        2e9,
        105,
        0,
        1500,
        1,
        estimate,
        null,
        -1);
  }

  @Test
  void predictsEachRunAsItIsAndSummarisesTheErrors(@TempDir Path dir) throws Exception {
    List<CostRow> rows =
        List.of(
            row("blocks", 1024, 4000, PLAN), // 4.4 predicted against 4.0: +10 %
            row("blocks", 4096, 8800, PLAN), // against 8.8: −50 %
            row("window", 1024, 1000, null)); // no estimate: not predicted
    CalibrationCheck check = CalibrationCheck.of(rows, MODEL, "local.properties (a test)");
    assertEquals(2, check.lines().size());
    assertEquals(4.4, check.lines().get(0).predictedSeconds(), 1e-12);
    assertEquals(0.1, check.lines().get(0).error(), 1e-12);
    assertEquals(-0.5, check.lines().get(1).error(), 1e-12);
    assertEquals(0.5, check.worstAbsError(), 1e-12);
    // the upper median of an even count, as the report's other medians
    assertEquals(0.5, check.medianAbsError(), 1e-12);

    Path csv = dir.resolve("p.csv");
    check.writeCsv(csv);
    assertEquals(
        List.of(
            "config,seq_len,measured_wall_ms,predicted_wall_ms,time_error",
            "blocks,1024,4000,4400,0.1000",
            "blocks,4096,8800,4400,-0.5000"),
        Files.readAllLines(csv));
    String md = check.markdown("p.csv");
    assertTrue(md.contains("| blocks | 1024 | 4.00 | 4.40 | +10 % |"), md);
    assertTrue(md.contains("Median |error| 50 %, worst 50 %, over 2 runs (p.csv)."), md);
    assertTrue(md.contains("local.properties (a test)"), md);
  }

  @Test
  void noRunsGiveNoErrors() {
    CalibrationCheck check = CalibrationCheck.of(List.of(), MODEL, "x");
    assertTrue(Double.isNaN(check.medianAbsError()));
    assertTrue(Double.isNaN(check.worstAbsError()));
  }
}
