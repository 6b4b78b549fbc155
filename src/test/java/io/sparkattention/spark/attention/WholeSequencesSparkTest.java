package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * The whole-sequence path of a corpus (issue 13): sequences that fit in one block run as one task
 * each, beside tiled long ones in the same table. For every kind and strategy the whole path gives
 * the same bits as the tiled path (spec {@code wholeSequences(false)}) and, for softmax, the plain
 * loop reference; every token gets exactly one output row.
 */
class WholeSequencesSparkTest {
  static final int D = 8;
  static final int BLOCK = 16;

  /** Whole: 1 … 16; tiled (query tiles of one block, key groups of two: merged): 17, 40, 75. */
  static final int[] LENGTHS = {1, 2, 5, 9, 16, 16, 3, 12, 17, 40, 75, 7};

  /** Cross: (3, 5) and (16, 12) whole; (40, 9) and (7, 30) tiled: one side exceeds a block. */
  static final int[] TARGET_LENGTHS = {3, 16, 40, 7};

  static final int[] CONTEXT_LENGTHS = {5, 12, 9, 30};

  static SparkSession spark;
  static TokenFixtures fixtures;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static AttentionWeights weights;
  static Weights refWeights;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    fixtures = TokenFixtures.random(13, D, LENGTHS);
    table = fixtures.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(5), D, D, D, 0.4);
    weights = refWeights.toKernel();
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(3), Mask.causalWindow(4)};
    Selection[] selections = {Selection.soft(), Selection.hard(), Selection.sampled(11)};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        for (int heads : new int[] {1, 2}) {
          for (Selection sel : selections) {
            cases.add(Arguments.of(s, m, heads, sel));
          }
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} heads={2} {3}")
  @MethodSource("cases")
  void wholePathHasTheTiledPathsBits(Strategy strategy, Mask mask, int heads, Selection sel) {
    AttentionSpec spec =
        AttentionSpec.builder()
            .mask(mask)
            .heads(heads)
            .weights(weights)
            .selection(sel)
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(1)
            .keyTileBlocks(2)
            .partitions(3)
            .wholeSequences(true)
            .build();
    DistributedAttention.Result whole =
        DistributedAttention.compute(spark, table, cols, valid, spec);
    DistributedAttention.Result tiled =
        DistributedAttention.compute(
            spark, table, cols, valid, spec.toBuilder().wholeSequences(false).build());
    long wholeCount = java.util.Arrays.stream(LENGTHS).filter(n -> n <= BLOCK).count();
    assertEquals(wholeCount, whole.plan().numWholeSequences());
    assertEquals(0, tiled.plan().numWholeSequences());
    Map<String, double[]> a = byToken(whole.tokens().collect(), fixtures.rows.size());
    Map<String, double[]> b = byToken(tiled.tokens().collect(), fixtures.rows.size());
    for (Map.Entry<String, double[]> e : b.entrySet()) {
      assertBitsEqual(e.getValue(), a.get(e.getKey()), e.getKey());
    }
    if (!sel.isHard()) {
      assertMatchesReference(a, mask, heads);
    }
  }

  static Stream<Arguments> crossCases() {
    List<Arguments> cases = new ArrayList<>();
    for (Strategy s : new Strategy[] {Strategy.SINGLE, Strategy.BLOCKS, Strategy.HEADS}) {
      for (Selection sel : new Selection[] {Selection.soft(), Selection.hard()}) {
        cases.add(Arguments.of(s, sel));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "cross {0} {1}")
  @MethodSource("crossCases")
  void crossAttentionWholePathHasTheTiledPathsBits(Strategy strategy, Selection sel) {
    TokenFixtures target = TokenFixtures.random(21, D, TARGET_LENGTHS);
    TokenFixtures context = TokenFixtures.random(22, D, CONTEXT_LENGTHS);
    Dataset<Row> targetTable = target.table(spark, 2);
    TokenColumns targetCols = TokenColumns.of(targetTable.schema(), "x");
    InputValidator.ValidTable targetValid =
        InputValidator.validate(targetTable, targetCols, "input");
    Dataset<Row> contextTable = context.table(spark, 3);
    TokenColumns contextCols = TokenColumns.of(contextTable.schema(), "x", "context");
    DistributedAttention.Context ctx =
        new DistributedAttention.Context(
            contextTable,
            contextCols,
            InputValidator.validate(contextTable, contextCols, "context"));
    AttentionSpec spec =
        AttentionSpec.builder()
            .cross(true)
            .heads(2)
            .weights(weights)
            .selection(sel)
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(1)
            .keyTileBlocks(1)
            .partitions(2)
            .wholeSequences(true)
            .build();
    DistributedAttention.Result whole =
        DistributedAttention.compute(spark, targetTable, targetCols, targetValid, ctx, spec);
    DistributedAttention.Result tiled =
        DistributedAttention.compute(
            spark,
            targetTable,
            targetCols,
            targetValid,
            ctx,
            spec.toBuilder().wholeSequences(false).build());
    assertEquals(2, whole.plan().numWholeSequences());
    Map<String, double[]> a = byToken(whole.tokens().collect(), target.rows.size());
    Map<String, double[]> b = byToken(tiled.tokens().collect(), target.rows.size());
    for (Map.Entry<String, double[]> e : b.entrySet()) {
      assertBitsEqual(e.getValue(), a.get(e.getKey()), e.getKey());
    }
    if (!sel.isHard()) {
      double worst = 0;
      for (int s = 0; s < TARGET_LENGTHS.length; s++) {
        String id = target.seqIds.get(s);
        double[][] want =
            SoftmaxReference.multiHead(
                rows(target.sequence(id)),
                D,
                rows(context.sequence(id)),
                D,
                refWeights,
                2,
                Allowed.of(Mask.none()));
        int idx = targetValid.seqIds().indexOf(id);
        for (int p = 0; p < want.length; p++) {
          worst = Math.max(worst, maxRelError(a.get(idx + "/" + p), want[p]));
        }
      }
      assertTrue(worst <= 1e-9, "worst relative error " + worst);
    }
  }

  /** Output by "seqIndex/pos", checking there is exactly one row per token. */
  static Map<String, double[]> byToken(List<FinishedToken> out, int tokens) {
    assertEquals(tokens, out.size(), "one output row per input token");
    Map<String, double[]> m = new HashMap<>();
    for (FinishedToken t : out) {
      double[] before = m.put(t.seqIndex() + "/" + t.pos(), t.out());
      assertTrue(before == null, "two rows for token " + t.seqIndex() + "/" + t.pos());
    }
    return m;
  }

  static void assertBitsEqual(double[] want, double[] got, String token) {
    assertEquals(want.length, got.length, token);
    for (int c = 0; c < want.length; c++) {
      assertEquals(
          Double.doubleToLongBits(want[c]),
          Double.doubleToLongBits(got[c]),
          "token " + token + " column " + c + ": " + want[c] + " vs " + got[c]);
    }
  }

  static void assertMatchesReference(Map<String, double[]> out, Mask mask, int heads) {
    double worst = 0;
    for (int s = 0; s < valid.seqIds().size(); s++) {
      String id = (String) valid.seqIds().get(s);
      double[][] want =
          SoftmaxReference.multiHead(
              rows(fixtures.sequence(id)), refWeights, heads, Allowed.of(mask));
      for (int p = 0; p < want.length; p++) {
        worst = Math.max(worst, maxRelError(out.get(s + "/" + p), want[p]));
      }
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  static double maxRelError(double[] got, double[] want) {
    double worst = 0;
    for (int c = 0; c < want.length; c++) {
      worst = Math.max(worst, Math.abs(got[c] - want[c]) / Math.max(1.0, Math.abs(want[c])));
    }
    return worst;
  }

  static double[][] rows(DMatrixRMaj M) {
    double[][] X = new double[M.numRows][M.numCols];
    for (int i = 0; i < M.numRows; i++) {
      System.arraycopy(M.data, i * M.numCols, X[i], 0, M.numCols);
    }
    return X;
  }
}
