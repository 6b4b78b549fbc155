package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every strategy × attention kind × heads against the plain-loop reference ({@link
 * SoftmaxReference}).
 */
class DistributedAttentionSparkTest {
  static final int D = 8;
  static final int BLOCK = 64;
  static TokenFixtures fixtures;
  static SparkSession spark;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    fixtures = TokenFixtures.random(42, D, 1, 5, 300, 2500);
    table = fixtures.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(37), Mask.causalWindow(100)};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        for (int heads : new int[] {1, 2, 4}) {
          cases.add(Arguments.of(s, m, heads));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} heads={2}")
  @MethodSource("cases")
  void equalsSingleMachineReference(Strategy strategy, Mask mask, int heads) {
    AttentionSpec spec =
        AttentionSpec.builder()
            .mask(mask)
            .heads(heads)
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(3)
            .keyTileBlocks(5)
            .partitions(3)
            .build();
    List<FinishedToken> out =
        DistributedAttention.compute(spark, table, cols, valid, spec).tokens().collect();
    assertEquals(fixtures.rows.size(), out.size(), "one output row per input token");
    Map<String, double[][]> expected = new HashMap<>();
    for (String id : fixtures.seqIds) {
      expected.put(id, reference(id, heads, mask));
    }
    double worst = 0;
    for (FinishedToken t : out) {
      String id = (String) valid.seqIds().get(t.seqIndex());
      double[][] e = expected.get(id);
      for (int c = 0; c < D; c++) {
        double want = e[(int) t.pos()][c];
        double err = Math.abs(t.out()[c] - want) / Math.max(1.0, Math.abs(want));
        worst = Math.max(worst, err);
      }
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  /** References by (sequence, heads, mask): the plain loops are slow at n = 2500. */
  static final Map<String, double[][]> REFERENCES = new HashMap<>();

  /**
   * Sequence {@code id}'s attention by {@link SoftmaxReference} (no weights: Q = K = V = X, heads
   * side by side), independent of the kernel.
   */
  static synchronized double[][] reference(String id, int heads, Mask mask) {
    return REFERENCES.computeIfAbsent(
        id + "/" + heads + "/" + mask,
        k -> {
          DMatrixRMaj M = fixtures.sequence(id);
          double[][] X = new double[M.numRows][M.numCols];
          for (int i = 0; i < M.numRows; i++) {
            System.arraycopy(M.data, i * M.numCols, X[i], 0, M.numCols);
          }
          return SoftmaxReference.multiHead(X, null, heads, Allowed.of(mask));
        });
  }
}
