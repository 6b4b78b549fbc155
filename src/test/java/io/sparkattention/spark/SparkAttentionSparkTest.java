package io.sparkattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.fixtures.PlainAttention;
import io.sparkattention.fixtures.PlainAttention.Allowed;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.TileTask;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The library's entry points against the plain-loop reference ({@link PlainAttention}): {@code
 * attend} and {@code cross} return one row per token with the reference's numbers, and {@code
 * plan}/{@code estimate} agree with the plan a run uses.
 */
class SparkAttentionSparkTest {
  private static final int D = 8;
  private static final int[] LENGTHS = {1, 7, 45, 130};
  private static final int[] CONTEXT_LENGTHS = {3, 50, 1, 17};
  private static SparkSession spark;
  private static TokenFixtures tokens;
  private static TokenFixtures context;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(11, D, LENGTHS);
    context = TokenFixtures.random(12, D, CONTEXT_LENGTHS);
  }

  @ParameterizedTest(name = "{0} window={1} heads={2} {3}")
  @CsvSource({
    "global, -1, 1, AUTO",
    "global, -1, 2, BLOCKS",
    "causal, -1, 4, BLOCKS",
    "local, 5, 2, WINDOW",
    "causal, 9, 2, HEADS",
  })
  void attendEqualsTheReference(String kind, int window, int heads, Strategy strategy) {
    AttentionSpec.Builder b =
        AttentionSpec.builder().heads(heads).strategy(strategy).blockSize(16).partitions(3);
    if (window >= 0) {
      b.window(window);
    }
    if (kind.equals("causal")) {
      b.causal();
    }
    AttentionSpec spec = b.build();
    Dataset<Row> out = SparkAttention.attend(tokens.table(spark, 3), spec);
    assertEquals(List.of("seq_id", "pos", "out"), List.of(out.columns()));
    Map<String, double[]> got = byToken(out);
    assertEquals(tokens.rows.size(), got.size(), "one row per token");
    Allowed allowed = allowed(spec.mask());
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] X = rows(tokens.sequences.get(s));
      double[][] want = PlainAttention.attend(X, X, X, heads, allowed, PlainAttention.Rule.SOFT, 0);
      worst = Math.max(worst, worstError(got, tokens.seqIds.get(s), want));
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  @Test
  void crossEqualsTheReference() {
    AttentionSpec spec =
        AttentionSpec.builder().cross(true).heads(2).strategy(Strategy.BLOCKS).blockSize(8).build();
    Map<String, double[]> got =
        byToken(SparkAttention.cross(tokens.table(spark, 2), context.table(spark, 2), spec));
    assertEquals(tokens.rows.size(), got.size(), "one row per target token");
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] X = rows(tokens.sequences.get(s));
      double[][] C = rows(context.sequences.get(s));
      double[][] want = PlainAttention.attend(X, C, C, 2, Allowed.ALL, PlainAttention.Rule.SOFT, 0);
      worst = Math.max(worst, worstError(got, tokens.seqIds.get(s), want));
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  @Test
  void selfAndCrossSpecsGoToTheirOwnEntryPoint() {
    Dataset<Row> t = tokens.table(spark, 1);
    AttentionSpec cross = AttentionSpec.builder().cross(true).build();
    InputException e = assertThrows(InputException.class, () -> SparkAttention.attend(t, cross));
    assertEquals("spec", e.parameter());
    AttentionSpec self = AttentionSpec.builder().build();
    e = assertThrows(InputException.class, () -> SparkAttention.cross(t, t, self));
    assertEquals("spec", e.parameter());
  }

  @Test
  void badRowsAreNamedBeforeAnythingRuns() {
    Dataset<Row> t = tokens.table(spark, 1).filter("NOT (seq_id = 'seq-2' AND pos = 4)");
    InputException e =
        assertThrows(
            InputException.class, () -> SparkAttention.attend(t, AttentionSpec.builder().build()));
    assertTrue(e.getMessage().contains("seq-2"), e.getMessage());
  }

  @Test
  void planAndEstimateNeedNoDataAndMatchTheCostModel() {
    long[] lengths = {5000, 17, 1};
    AttentionSpec spec =
        AttentionSpec.builder().causal().heads(2).strategy(Strategy.BLOCKS).blockSize(512).build();
    AttentionPlan plan = SparkAttention.plan(lengths, spec, 4);
    assertEquals(Strategy.BLOCKS, plan.strategy());
    // every sequence's queries are covered, up to its length
    long[] covered = new long[lengths.length];
    for (TileTask t : plan.tasks()) {
      covered[t.seqIndex()] = Math.max(covered[t.seqIndex()], t.qEnd());
    }
    assertEquals(List.of(5000L, 17L, 1L), List.of(covered[0], covered[1], covered[2]));
    CostEstimate e = SparkAttention.estimate(lengths, 64, spec, 4);
    assertEquals(
        CostModel.estimate(plan, CostModel.Widths.self(64), CostModel.Framing.KRYO_REGISTERED)
            .executedFlops(),
        e.executedFlops());
    InputException localP =
        assertThrows(
            InputException.class,
            () -> SparkAttention.plan(lengths, AttentionSpec.builder().localP(3).build(), 4));
    assertEquals("localPWindow", localP.parameter());
  }

  private static Allowed allowed(Mask m) {
    switch (m.kind()) {
      case CAUSAL:
        return Allowed.causal();
      case WINDOW:
        return Allowed.window(m.window());
      case CAUSAL_WINDOW:
        return Allowed.causalWindow(m.window());
      default:
        return Allowed.ALL;
    }
  }

  private static Map<String, double[]> byToken(Dataset<Row> out) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : out.collectAsList()) {
      m.put(r.getString(0) + "/" + r.getInt(1), ((Vector) r.get(2)).toArray());
    }
    return m;
  }

  private static double worstError(Map<String, double[]> got, String id, double[][] want) {
    double worst = 0;
    for (int p = 0; p < want.length; p++) {
      double[] g = got.get(id + "/" + p);
      for (int c = 0; c < want[p].length; c++) {
        worst = Math.max(worst, Math.abs(g[c] - want[p][c]) / Math.max(1.0, Math.abs(want[p][c])));
      }
    }
    return worst;
  }

  private static double[][] rows(DMatrixRMaj M) {
    double[][] r = new double[M.numRows][M.numCols];
    for (int i = 0; i < M.numRows; i++) {
      System.arraycopy(M.data, i * M.numCols, r[i], 0, M.numCols);
    }
    return r;
  }
}
