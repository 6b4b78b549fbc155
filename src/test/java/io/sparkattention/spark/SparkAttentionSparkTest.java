package io.sparkattention.spark;

import static io.sparkattention.fixtures.Matrices.toArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.TileTask;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The library's entry points against the plain-loop reference ({@link SoftmaxReference}): {@code
 * attend} and {@code cross} return one row per token with the reference's numbers (compared as
 * tables, {@link ResultTables#assertMatches}), and {@code plan}/{@code estimate} agree with the
 * plan a run uses.
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
    double[][][] want = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] X = toArray(tokens.sequences.get(s));
      want[s] = SoftmaxReference.multiHead(X, null, heads, Allowed.of(spec.mask()));
    }
    ResultTables.assertMatches(out, tokens.seqIds.toArray(), want, 1e-9);
  }

  @Test
  void crossEqualsTheReference() {
    AttentionSpec spec =
        AttentionSpec.builder().cross(true).heads(2).strategy(Strategy.BLOCKS).blockSize(8).build();
    Dataset<Row> out = SparkAttention.cross(tokens.table(spark, 2), context.table(spark, 2), spec);
    double[][][] want = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] X = toArray(tokens.sequences.get(s));
      double[][] C = toArray(context.sequences.get(s));
      want[s] = SoftmaxReference.multiHead(X, D, C, D, null, 2, Allowed.ALL);
    }
    ResultTables.assertMatches(out, tokens.seqIds.toArray(), want, 1e-9);
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
    // 17 and 1 fit one block of 512: they run whole, as one task each outside the tile list
    assertEquals(
        List.of(false, true, true), List.of(plan.isWhole(0), plan.isWhole(1), plan.isWhole(2)));
    for (int s = 1; s < lengths.length; s++) {
      covered[s] = plan.task(plan.wholeTaskId(s)).qEnd();
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
}
