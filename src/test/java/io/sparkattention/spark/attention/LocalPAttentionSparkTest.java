package io.sparkattention.spark.attention;

import static io.sparkattention.fixtures.Matrices.toArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.TileTask;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Distributed Luong local-p against the plain {@link LocalPReference}: random sequences whose
 * lengths do not divide the block size (16), tiles of 2 blocks and key groups of 2 blocks so that
 * windows cross blocks and groups, several D, heads, every strategy local-p runs with; centres
 * spread out and piled at both ends (clipped windows), or all in one block.
 */
class LocalPAttentionSparkTest {
  static final int D_MODEL = 8;
  static final int BLOCK = 16;
  static final int[] LENGTHS = {1, 2, 37, 150, 413};
  static TokenFixtures fixtures;
  static SparkSession spark;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights spread;
  static Weights clustered;
  static Weights predictorOnly;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    fixtures = TokenFixtures.random(7, D_MODEL, LENGTHS);
    table = fixtures.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    Random rnd = new Random(99);
    // vp large enough that many centres saturate at 0 or n: windows clipped at both ends
    spread = Weights.random(rnd, D_MODEL, 5, 0.5, 4);
    clustered = Weights.random(rnd, D_MODEL, 3, 0.5, 1);
    clustered.vp = new double[3]; // z = 0: every centre n/2, one centre block over many tiles
    predictorOnly = new Weights();
    predictorOnly.wp = spread.wp;
    predictorOnly.vp = spread.vp;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Strategy.SINGLE, 3, 1, "spread"),
        Arguments.of(Strategy.SINGLE, 17, 2, "spread"),
        Arguments.of(Strategy.BLOCKS, 1, 1, "spread"),
        Arguments.of(Strategy.BLOCKS, 4, 2, "spread"),
        Arguments.of(Strategy.BLOCKS, 17, 4, "spread"),
        Arguments.of(Strategy.BLOCKS, 60, 1, "spread"),
        Arguments.of(Strategy.HEADS, 5, 2, "spread"),
        Arguments.of(Strategy.HEADS, 33, 4, "spread"),
        Arguments.of(Strategy.AUTO, 8, 2, "spread"),
        Arguments.of(Strategy.BLOCKS, 20, 2, "clustered"),
        Arguments.of(Strategy.BLOCKS, 6, 1, "predictor only"));
  }

  @ParameterizedTest(name = "{0} D={1} heads={2} {3}")
  @MethodSource("cases")
  void equalsThePlainReference(Strategy strategy, int D, int heads, String weightsName) {
    Weights w =
        weightsName.equals("spread")
            ? spread
            : weightsName.equals("clustered") ? clustered : predictorOnly;
    AttentionSpec spec =
        AttentionSpec.builder()
            .mask(Mask.none())
            .heads(heads)
            .weights(w.toKernel())
            .strategy(strategy)
            .blockSize(BLOCK)
            .queryTileBlocks(2)
            .keyTileBlocks(2)
            .partitions(3)
            .selection(Selection.soft())
            .localP(D)
            .build();
    DistributedAttention.Result result =
        DistributedAttention.compute(spark, table, cols, valid, spec);
    List<FinishedToken> out = result.tokens().collect();
    assertEquals(fixtures.rows.size(), out.size(), "one output row per input token");
    AttentionPlan plan = result.plan();
    assertTrue(plan.isLocalP(), plan.toString());
    if (plan.strategy() != Strategy.SINGLE) {
      for (TileTask t : plan.tasks()) {
        assertTrue(t.queryCount() <= 2 * BLOCK && t.keyCount() <= 2 * BLOCK, t.toString());
      }
    }
    if (strategy == Strategy.AUTO) {
      assertEquals(Strategy.BLOCKS, plan.strategy(), "auto picks blocks for long sequences");
    }

    Map<String, double[][]> expected = new HashMap<>();
    for (String id : fixtures.seqIds) {
      expected.put(id, LocalPReference.attention(toArray(fixtures.sequence(id)), w, heads, D));
    }
    double worst = 0;
    String worstAt = "";
    for (FinishedToken t : out) {
      String id = (String) valid.seqIds().get(t.seqIndex());
      double[] want = expected.get(id)[(int) t.pos()];
      assertEquals(want.length, t.out().length);
      for (int c = 0; c < want.length; c++) {
        double err = Math.abs(t.out()[c] - want[c]) / Math.max(1.0, Math.abs(want[c]));
        if (!(err <= worst)) {
          worst = err;
          worstAt = id + "/" + t.pos() + "[" + c + "]";
        }
      }
    }
    assertTrue(
        worst <= 1e-9,
        String.format(Locale.ROOT, "worst relative error %.3g at %s", worst, worstAt));
  }

  /** Guards the cases above: the spread weights really put centres at both clipped ends. */
  @Test
  void spreadCentresReachBothEnds() {
    double[] c = LocalPReference.centres(toArray(fixtures.sequence("seq-4")), spread);
    int low = 0;
    int high = 0;
    int middle = 0;
    for (double p : c) {
      low += p < 3 ? 1 : 0;
      high += p > c.length - 3 ? 1 : 0;
      middle += p > 60 && p < c.length - 60 ? 1 : 0;
    }
    assertTrue(low >= 5 && high >= 5 && middle >= 10, low + " / " + middle + " / " + high);
  }

  /** The plan is cut for real: several tiles and key groups per long sequence, parts merged. */
  @Test
  void blocksPlanCutsLongSequencesIntoBoundedTasks() {
    AttentionSpec spec =
        AttentionSpec.builder()
            .mask(Mask.none())
            .heads(2)
            .weights(spread.toKernel())
            .strategy(Strategy.BLOCKS)
            .blockSize(BLOCK)
            .queryTileBlocks(2)
            .keyTileBlocks(2)
            .partitions(3)
            .selection(Selection.soft())
            .localP(4)
            .build();
    AttentionPlan plan = DistributedAttention.compute(spark, table, cols, valid, spec).plan();
    long longest = 0;
    for (TileTask t : plan.tasks()) {
      longest = t.seqIndex() == 4 ? longest + 1 : longest;
    }
    assertTrue(longest >= 413 / (2 * BLOCK), "tasks of the 413-token sequence: " + longest);
    assertTrue(plan.needsMerge(), "some windows span two key groups");
  }
}
