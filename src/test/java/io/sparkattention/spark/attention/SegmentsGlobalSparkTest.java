package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.ReferenceCheck;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Packed documents with global tokens ({@code segmentColumn} with {@code globalColumn}, or with
 * {@code globalTokens}): a global token sees and is seen within its own document only. Every
 * strategy and every mask kind (each once, to keep the test short; the plan and kernel tests cross
 * them all), soft and hard, against the plain-loop references with the fixtures' {@link
 * Allowed#packedWithGlobals} rule over the labels and flags (not the library's mask), on lengths
 * that do not divide the block size; identical bits on 1 and 5 partitions.
 */
class SegmentsGlobalSparkTest {
  static final int D = 8;
  static final int HEADS = 2;
  static final int BLOCK = 8;
  static final int[] LENGTHS = {1, 7, 23, 61};
  static final double TOL = 1e-9;

  static SparkSession spark;
  static TokenFixtures tokens;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights refWeights;

  /** Per sequence per position its document label, and per sequence its global positions. */
  static int[][] labels;

  static List<Set<Long>> globals = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(2015, D, LENGTHS);
    Random rnd = new Random(2016);
    labels = new int[LENGTHS.length][];
    for (int s = 0; s < LENGTHS.length; s++) {
      int n = LENGTHS[s];
      labels[s] = new int[n];
      Set<Long> g = new HashSet<>();
      // documents of random lengths (some of one token), labels decreasing along the sequence
      int doc = 1000;
      for (int p = 0; p < n; p++) {
        if (p > 0 && rnd.nextInt(6) == 0) {
          doc--;
        }
        labels[s][p] = doc;
        if (n > 1 && rnd.nextInt(7) == 0) {
          g.add((long) p);
        }
      }
      globals.add(g);
    }
    // the long sequence: a global token at a document's first position and at its last
    int[] l = labels[3];
    for (int p = 1; p < l.length; p++) {
      if (l[p] != l[p - 1]) {
        globals.get(3).add((long) p);
        globals.get(3).add((long) p - 1);
        break;
      }
    }
    List<Row> rows = new ArrayList<>();
    for (Row r : tokens.rows) {
      int s = tokens.seqIds.indexOf(r.getString(0));
      int p = r.getInt(1);
      rows.add(
          RowFactory.create(
              r.get(0), r.get(1), r.get(2), labels[s][p], globals.get(s).contains((long) p)));
    }
    table =
        spark
            .createDataFrame(
                rows,
                TokenFixtures.SCHEMA
                    .add("doc", DataTypes.IntegerType, false)
                    .add("g", DataTypes.BooleanType, false))
            .repartition(3)
            .cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(2017), D, D, D, 0.5);
  }

  /** Strategy, base mask, the first N global ({@code -1}: the column), selection. */
  static Stream<Arguments> cases() {
    return Stream.of(
        // every strategy once, every mask kind once
        Arguments.of(Strategy.SINGLE, Mask.none(), -1, Selection.soft()),
        Arguments.of(Strategy.BLOCKS, Mask.causal(), -1, Selection.soft()),
        Arguments.of(Strategy.WINDOW, Mask.window(3), -1, Selection.soft()),
        Arguments.of(Strategy.HEADS, Mask.causalWindow(5), -1, Selection.soft()),
        // --global-tokens 3: the first 3 positions of each sequence, within their documents
        Arguments.of(Strategy.WINDOW, Mask.window(2), 3, Selection.soft()),
        Arguments.of(Strategy.BLOCKS, Mask.causalWindow(3), -1, Selection.hard()));
  }

  static AttentionSpec spec(Strategy s, Mask base, int firstN, Selection sel, int partitions) {
    AttentionSpec.Builder b =
        AttentionSpec.builder()
            .mask(base)
            .segmentColumn("doc")
            .heads(HEADS)
            .weights(refWeights.toKernel())
            .selection(sel)
            .strategy(s)
            .blockSize(BLOCK)
            .queryTileBlocks(1)
            .keyTileBlocks(2)
            .partitions(partitions);
    return (firstN < 0 ? b.globalColumn("g") : b.globalTokens(firstN)).build();
  }

  @ParameterizedTest(name = "{0} {1} firstN={2} {3}")
  @MethodSource("cases")
  void equalsTheReferenceWithTheSameBitsOnOneAndFivePartitions(
      Strategy s, Mask base, int firstN, Selection sel) {
    Map<String, double[]> one = compute(spec(s, base, firstN, sel, 1));
    Map<String, double[]> five = compute(spec(s, base, firstN, sel, 5));
    List<double[][]> want = new ArrayList<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      Set<Long> g = globals.get(seq);
      if (firstN >= 0) {
        g = new HashSet<>();
        for (long p = 0; p < firstN; p++) {
          g.add(p);
        }
      }
      Allowed allowed =
          Allowed.packedWithGlobals(
              labels[seq], GlobalTokensSparkTest.base(base), g, base.isCausal());
      double[][] X = Matrices.toArray(tokens.sequences.get(seq));
      want.add(
          sel.isHard()
              ? HardReference.multiHead(X, refWeights, D, HEADS, allowed)
              : SoftmaxReference.multiHead(X, refWeights, HEADS, allowed));
    }
    ReferenceCheck.agreesAndSameBits(
        base + " in documents, " + s + " " + sel, tokens.seqIds, want, one, five, TOL);
  }

  static Map<String, double[]> compute(AttentionSpec spec) {
    DistributedAttention.Result result =
        DistributedAttention.compute(spark, table, cols, valid, null, spec);
    assertTrue(result.plan().hasSegments());
    Map<String, double[]> byKey = new HashMap<>();
    for (FinishedToken t : result.tokens().collect()) {
      String k = valid.seqIds().get(t.seqIndex()) + "/" + t.pos();
      assertTrue(byKey.put(k, t.out()) == null, "repeated output row " + k);
    }
    assertEquals(tokens.rows.size(), byKey.size(), "one output row per token");
    return byKey;
  }
}
