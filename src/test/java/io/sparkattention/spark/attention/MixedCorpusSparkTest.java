package io.sparkattention.spark.attention;

import static io.sparkattention.spark.attention.WholeSequencesSparkTest.assertBitsEqual;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.byToken;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.maxRelError;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Rope;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.WorkBalance;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A mixed corpus (issue 13): short sequences run whole, one long one tiled. On several partitions
 * the balance cuts the long one's query tiles finer (blocks; the head split balances as cut)
 * ({@link WorkBalance}) and the short ones' rows skip the merge shuffle; on one partition the plan
 * stays as cut and every row goes through the merge. Both give the same bits, for each mask the
 * re-cut applies to, heads, selection and RoPE, and softmax matches the plain-loop reference.
 */
class MixedCorpusSparkTest {
  static final int D = 8;
  static final int BLOCK = 8;

  /**
   * Short ones of one block or less (enough of them for partitions of their own: {@link
   * WorkBalance#MIN_FINAL_SHARE}); one of 700: query tiles of 512, key groups of 256.
   */
  static final int[] LENGTHS = lengths();

  /** 80 short ones of 1 … 8 tokens, the long one at {@link #LONG}. */
  static int[] lengths() {
    int[] n = new int[81];
    for (int s = 0; s < n.length; s++) {
      n[s] = 1 + (s * 5) % BLOCK;
    }
    n[LONG] = 700;
    return n;
  }

  static final int LONG = 3;

  static SparkSession spark;
  static TokenFixtures fixtures;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights refWeights;
  static AttentionWeights weights;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    fixtures = TokenFixtures.random(31, D, LENGTHS);
    table = fixtures.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(9), D, D, D, 0.4);
    weights = refWeights.toKernel();
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Strategy s : new Strategy[] {Strategy.BLOCKS, Strategy.HEADS}) {
      for (Mask m : new Mask[] {Mask.causal(), Mask.none()}) {
        cases.add(Arguments.of(s, m, Selection.soft(), false));
      }
    }
    // sampled selection is slow in small blocks: one case
    cases.add(Arguments.of(Strategy.BLOCKS, Mask.causal(), Selection.sampled(5), false));
    cases.add(Arguments.of(Strategy.BLOCKS, Mask.causal(), Selection.soft(), true));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} rope={3}")
  @MethodSource("cases")
  void balancedRecutHasTheBitsOfThePlainCut(
      Strategy strategy, Mask mask, Selection sel, boolean rope) {
    AttentionSpec.Builder b =
        AttentionSpec.builder()
            .mask(mask)
            .heads(2)
            .weights(weights)
            .selection(sel)
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(64)
            .keyTileBlocks(32)
            .wholeSequences(true);
    if (rope) {
      b.rope(Rope.Style.HALF);
    }
    AttentionSpec spec = b.partitions(6).build();
    DistributedAttention.Result balanced =
        DistributedAttention.compute(spark, table, cols, valid, spec);
    DistributedAttention.Result plain =
        DistributedAttention.compute(
            spark, table, cols, valid, spec.toBuilder().partitions(1).build());
    int longIndex = valid.seqIds().indexOf(fixtures.seqIds.get(LONG));
    assertEquals(64L * BLOCK, plain.plan().queryTile(longIndex), "one partition: as cut");
    if (strategy == Strategy.BLOCKS) {
      // (the head split's twice as many tasks balance as cut)
      assertTrue(
          balanced.plan().queryTile(longIndex) < plain.plan().queryTile(longIndex),
          "re-cut: " + balanced.plan());
    }
    assertEquals(6, balanced.partitions());
    Map<String, double[]> a = byToken(balanced.tokens().collect(), fixtures.rows.size());
    Map<String, double[]> want = byToken(plain.tokens().collect(), fixtures.rows.size());
    for (Map.Entry<String, double[]> e : want.entrySet()) {
      assertBitsEqual(e.getValue(), a.get(e.getKey()), e.getKey());
    }
    if (!sel.isHard() && !rope) {
      double worst = 0;
      for (int s = 0; s < valid.seqIds().size(); s++) {
        String id = (String) valid.seqIds().get(s);
        double[][] ref =
            SoftmaxReference.multiHead(
                rows(fixtures.sequence(id)), refWeights, 2, Allowed.of(mask));
        for (int p = 0; p < ref.length; p++) {
          worst = Math.max(worst, maxRelError(a.get(s + "/" + p), ref[p]));
        }
      }
      assertTrue(worst <= 1e-9, "worst relative error " + worst);
    }
  }
}
