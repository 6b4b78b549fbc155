package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Memory sizes as Spark writes them, a task's memory share, core-hours and price by hand. */
class ClusterSpecTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "4g, 4294967296",
    "4G, 4294967296",
    "4gb, 4294967296",
    "512m, 536870912",
    "512MB, 536870912",
    "64k, 65536",
    "2t, 2199023255552",
    "1073741824, 1073741824",
    "100b, 100",
    "' 8g ', 8589934592"
  })
  void memorySizesParseAsSparkWritesThem(String text, long bytes) {
    assertEquals(bytes, ClusterSpec.parseMemory(text));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "g", "4x", "-1g", "4.5g", "four", "99999999999999999999t"})
  void badMemorySizesAreRefusedQuotingThem(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClusterSpec.parseMemory(text));
    assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
  }

  @Test
  void aTaskGetsSixTenthsOfTheHeapAboveThreeHundredMibSharedByTheCores() {
    // 4 GiB = 4096 MiB; less 300 MiB reserved = 3796 MiB; × 0.6 = 2277.6 MiB; / 4 cores =
    // 569.4 MiB = 569 × 1,048,576 + 0.4 × 1,048,576 = 596,639,744 + 419,430.4 bytes
    // = 597,059,174.4 → 597,059,174.
    ClusterSpec c = new ClusterSpec(3, 4, 4L << 30, 0.05);
    assertEquals(597_059_174L, c.taskMemoryBytes());
    assertEquals(12, c.slots());
    // an hour on 12 cores: 12 core-hours, at 0.05 each 0.60
    assertEquals(12.0, c.coreHours(3600), 1e-12);
    assertEquals(0.60, c.price(3600), 1e-12);
    assertTrue(Double.isNaN(new ClusterSpec(1, 1, 1L << 30, Double.NaN).price(3600)));
  }

  @Test
  void badClustersAreRefusedNamingTheFigure() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new ClusterSpec(0, 1, 1L << 30, 0))
            .getMessage()
            .contains("executors"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new ClusterSpec(1, 0, 1L << 30, 0))
            .getMessage()
            .contains("cores"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new ClusterSpec(1, 1, 300L << 20, 0))
            .getMessage()
            .contains("300 MiB"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new ClusterSpec(1, 1, 1L << 30, -1))
            .getMessage()
            .contains("price"));
  }
}
