package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Fp32Bound;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Precision#FP32} through the distributed engine: every strategy (single, blocks, window,
 * heads) × mask, with one and two heads, over sequences of odd lengths (1, 5, 200, 301; key blocks
 * of 64), gives every output element within the bound of {@link Fp32Bound} (per head: Q = K = V =
 * the head's columns) of the plain fp64 reference ({@link SoftmaxReference}), and the same bits on
 * 1 and 5 partitions.
 */
class Fp32AttentionSparkTest {
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
    fixtures = TokenFixtures.random(77, D, 1, 5, 200, 301);
    table = fixtures.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(37), Mask.causalWindow(100)};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (int m = 0; m < masks.length; m++) {
        if (StrategyMasks.fits(s, masks[m])) {
          cases.add(Arguments.of(s, masks[m], s == Strategy.HEADS || m % 2 == 1 ? 2 : 1));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} heads={2}")
  @MethodSource("cases")
  void withinBoundAndSameBitsOnAnyPartitions(Strategy strategy, Mask mask, int heads) {
    Map<String, double[]> one = run(strategy, mask, heads, 1);
    Map<String, double[]> five = run(strategy, mask, heads, 5);
    assertEquals(fixtures.rows.size(), one.size(), "one output row per input token");
    assertEquals(one.keySet(), five.keySet());
    for (Map.Entry<String, double[]> e : one.entrySet()) {
      assertArrayEquals(e.getValue(), five.get(e.getKey()), "bits of " + e.getKey());
    }
    int dh = D / heads;
    double worstFraction = 0;
    double worstError = 0;
    for (String id : fixtures.seqIds) {
      double[][] X = Matrices.toArray(fixtures.sequence(id));
      double[][] expected = SoftmaxReference.multiHead(X, null, heads, Allowed.of(mask));
      for (int h = 0; h < heads; h++) {
        double[][] Xh = Matrices.columns(X, h * dh, dh);
        double[] bound = Fp32Bound.rowBounds(Xh, Xh, Xh, 1 / Math.sqrt(dh), BLOCK);
        for (int i = 0; i < X.length; i++) {
          double[] got = one.get(id + "/" + i);
          for (int c = h * dh; c < (h + 1) * dh; c++) {
            double err = Math.abs(got[c] - expected[i][c]);
            worstError = Math.max(worstError, err);
            worstFraction = Math.max(worstFraction, err / bound[i]);
          }
        }
      }
    }
    assertTrue(worstFraction <= 1, "fp32 error / bound = " + worstFraction);
    assertTrue(worstError > 0, "fp32 should differ from the fp64 reference");
  }

  /** fp32 attention with {@code partitions} partitions, by "seq_id/pos". */
  private static Map<String, double[]> run(Strategy strategy, Mask mask, int heads, int parts) {
    AttentionSpec spec =
        AttentionSpec.builder()
            .mask(mask)
            .heads(heads)
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(3)
            .keyTileBlocks(2)
            .partitions(parts)
            .precision(Precision.FP32)
            .build();
    List<FinishedToken> out =
        DistributedAttention.compute(spark, table, cols, valid, spec).tokens().collect();
    Map<String, double[]> rows = new TreeMap<>();
    for (FinishedToken t : out) {
      rows.put(valid.seqIds().get(t.seqIndex()) + "/" + t.pos(), t.out());
    }
    return rows;
  }
}
