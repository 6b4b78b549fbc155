package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.TokenFiles;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Checks a result of {@code --attention global} (or another mask; no weights, one head) against the
 * {@link SoftmaxReference}, row by row on the driver: the result is collected, with no shuffle of
 * rows (so no Kryo registration of Spark's row classes is needed).
 */
final class GlobalResults {
  private GlobalResults() {}

  /** Asserts one row per token of {@code tokens}, each within 1e-9 of the reference. */
  static void assertGlobal(Dataset<Row> result, TokenFiles tokens) {
    assertMasked(result, tokens, Allowed.ALL);
  }

  /**
   * Asserts one row per token of {@code tokens}, each within 1e-9 of the reference under {@code
   * mask}.
   */
  static void assertMasked(Dataset<Row> result, TokenFiles tokens, Allowed mask) {
    Map<String, double[]> got = ResultTables.collect(result);
    assertEquals(tokens.tokens(), got.size(), "one row per token");
    for (int s = 0; s < tokens.ids.length; s++) {
      double[][] expected = SoftmaxReference.multiHead(tokens.x[s], null, 1, mask);
      for (int p = 0; p < expected.length; p++) {
        double[] row = got.get(ResultTables.key(tokens.ids[s], p));
        assertNotNull(row, "no row for " + ResultTables.key(tokens.ids[s], p));
        assertEquals(expected[p].length, row.length);
        for (int c = 0; c < row.length; c++) {
          double tol = 1e-9 * Math.max(1, Math.abs(expected[p][c]));
          assertEquals(expected[p][c], row[c], tol, "seq " + tokens.ids[s] + " pos " + p);
        }
      }
    }
  }
}
