package io.sparkattention.spark.attention;

import static io.sparkattention.spark.attention.WholeSequencesSparkTest.assertBitsEqual;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.byToken;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.maxRelError;
import static io.sparkattention.spark.attention.WholeSequencesSparkTest.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.maps.AttentionMaps;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Packed documents ({@code segmentColumn}): a query attends only to keys of its sequence with its
 * value of the segment column. Every strategy and mask against the plain-loop references with the
 * same-document rule written as a predicate on the labels (not via the library's segments), on
 * lengths that do not divide the block size; identical bits on 1 and 5 partitions; one output row
 * per token; bad segment columns refused with the row named.
 */
class SegmentsSparkTest {
  static final int D = 8;
  static final int BLOCK = 8;
  static final int[] LENGTHS = {1, 6, 8, 23, 40, 61};

  static SparkSession spark;
  static TokenFixtures fixtures;

  /** Per sequence (in fixture order) per position its document label. */
  static int[][] labels;

  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights refWeights;
  static AttentionWeights weights;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    fixtures = TokenFixtures.random(31, D, LENGTHS);
    Random rnd = new Random(4);
    labels = new int[LENGTHS.length][];
    for (int s = 0; s < LENGTHS.length; s++) {
      labels[s] = randomDocuments(rnd, LENGTHS[s], s);
    }
    table = withLabels(fixtures, labels, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(5), D, D, D, 0.4);
    weights = refWeights.toKernel();
  }

  /**
   * Contiguous documents with distinct labels that decrease along the sequence (so starts come from
   * positions, not from sorted labels); some documents of one token.
   */
  static int[] randomDocuments(Random rnd, int n, int seq) {
    List<Integer> cuts = new ArrayList<>();
    for (int p = 1; p < n; p++) {
      if (rnd.nextInt(5) == 0) {
        cuts.add(p);
      }
    }
    int[] label = new int[n];
    int doc = cuts.size();
    for (int p = 0, c = 0; p < n; p++) {
      if (c < cuts.size() && cuts.get(c) == p) {
        c++;
        doc--;
      }
      label[p] = doc * 100 + seq;
    }
    return label;
  }

  static Dataset<Row> withLabels(TokenFixtures f, int[][] labels, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (Row r : f.rows) {
      int s = f.seqIds.indexOf(r.getString(0));
      int l = labels[s][r.getInt(1)];
      Integer label = l == Integer.MIN_VALUE ? null : l; // MIN_VALUE: a null label
      rows.add(RowFactory.create(r.get(0), r.get(1), r.get(2), label));
    }
    return spark
        .createDataFrame(rows, TokenFixtures.SCHEMA.add("doc", DataTypes.IntegerType, true))
        .repartition(partitions);
  }

  /** The mask's rule and the same-document rule, from the labels. */
  static Allowed sameDocument(Mask m, int seq) {
    Allowed base = Allowed.of(m);
    int[] label = labels[seq];
    return (q, k) -> label[(int) q] == label[(int) k] && base.test(q, k);
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(3), Mask.causalWindow(5)};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        cases.add(Arguments.of(s, m, s == Strategy.HEADS ? 2 : 1, Selection.soft()));
        if (s == Strategy.BLOCKS || s == Strategy.WINDOW) { // hard: the two tiled splits
          cases.add(Arguments.of(s, m, 2, Selection.hard()));
        }
      }
    }
    return cases.stream();
  }

  static AttentionSpec spec(Strategy s, Mask m, int heads, Selection sel, int partitions) {
    return AttentionSpec.builder()
        .mask(m)
        .heads(heads)
        .weights(weights)
        .selection(sel)
        .strategy(s)
        .blockSize(BLOCK)
        .queryTileBlocks(1)
        .keyTileBlocks(2)
        .partitions(partitions)
        .segmentColumn("doc")
        .build();
  }

  @ParameterizedTest(name = "{0} {1} heads={2} {3}")
  @MethodSource("cases")
  void equalsTheReferencesWithTheSameBitsOnAnyPartitioning(
      Strategy strategy, Mask mask, int heads, Selection sel) {
    DistributedAttention.Result one =
        DistributedAttention.compute(
            spark, table, cols, valid, spec(strategy, mask, heads, sel, 1));
    DistributedAttention.Result five =
        DistributedAttention.compute(
            spark, table, cols, valid, spec(strategy, mask, heads, sel, 5));
    assertTrue(one.plan().hasSegments());
    Map<String, double[]> a = byToken(one.tokens().collect(), fixtures.rows.size());
    Map<String, double[]> b = byToken(five.tokens().collect(), fixtures.rows.size());
    for (Map.Entry<String, double[]> e : a.entrySet()) {
      assertBitsEqual(e.getValue(), b.get(e.getKey()), e.getKey());
    }
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      String id = fixtures.seqIds.get(s);
      double[][] x = rows(fixtures.sequence(id));
      Allowed allowed = sameDocument(mask, s);
      double[][] want =
          sel.isHard()
              ? HardReference.multiHead(x, refWeights, D, heads, allowed)
              : SoftmaxReference.multiHead(x, refWeights, heads, allowed);
      int idx = valid.seqIds().indexOf(id);
      for (int p = 0; p < want.length; p++) {
        worst = Math.max(worst, maxRelError(a.get(idx + "/" + p), want[p]));
      }
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  @Test
  void segmentsChangeTheResultAndTheMapsKeepToTheirDocument() {
    AttentionSpec packed = spec(Strategy.BLOCKS, Mask.causal(), 2, Selection.soft(), 2);
    DistributedAttention.Result withSegments =
        DistributedAttention.compute(spark, table, cols, valid, packed);
    List<Row> maps =
        AttentionMaps.compute(
                spark, table, cols, valid, packed, withSegments.plan().sequenceMasks())
            .collectAsList();
    assertEquals(fixtures.rows.size() * 2, maps.size());
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      String id = fixtures.seqIds.get(s);
      double[][][] want =
          SoftmaxReference.headWeights(
              rows(fixtures.sequence(id)), refWeights, 2, sameDocument(Mask.causal(), s));
      for (Row r : maps) {
        if (r.getString(0).equals(id)) {
          List<Double> got = r.getList(3);
          double[] wantRow = want[r.getInt(1)][r.getInt(2)];
          for (int k = 0; k < wantRow.length; k++) {
            worst = Math.max(worst, Math.abs(got.get(k) - wantRow[k]));
          }
        }
      }
    }
    assertTrue(worst <= 1e-12, "maps differ from the reference by " + worst);
    // and the segments matter: without them the 61-token sequence's last token differs
    DistributedAttention.Result plain =
        DistributedAttention.compute(
            spark, table, cols, valid, packed.toBuilder().segmentColumn(null).build());
    int idx = valid.seqIds().indexOf(fixtures.seqIds.get(5));
    Map<String, double[]> a = byToken(withSegments.tokens().collect(), fixtures.rows.size());
    Map<String, double[]> b = byToken(plain.tokens().collect(), fixtures.rows.size());
    assertTrue(maxRelError(a.get(idx + "/60"), b.get(idx + "/60")) > 1e-6);
  }

  @Test
  void badSegmentColumnsAreRefusedNamingTheRow() {
    int[][] withNull = copy(labels);
    withNull[3][7] = Integer.MIN_VALUE; // marker for null below
    Dataset<Row> nulls = withLabels(fixtures, withNull, 2);
    assertRefused(nulls, "null doc", "seq_id=seq-3", "pos=7");

    int[][] split = copy(labels);
    assertTrue(split[4][1] != split[4][39], "the fixture's sequence 4 has a cut after pos 1");
    split[4][0] = split[4][39]; // the last document's label also at position 0
    assertRefused(withLabels(fixtures, split, 2), "is not contiguous", "seq_id=seq-4");

    AttentionSpec missing =
        spec(Strategy.BLOCKS, Mask.none(), 1, Selection.soft(), 1).toBuilder()
            .segmentColumn("document")
            .build();
    InputException e =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, table, cols, valid, missing));
    assertTrue(e.getMessage().contains("no column 'document'"), e.getMessage());
  }

  @Test
  void integerSequenceIdsAndStringLabelsGiveTheStartsByPosition() {
    List<Row> rows = new ArrayList<>();
    String[] docs = {"b", "b", "a", "a", "a", "c", "z"}; // runs 0-1, 2-4, 5, 6
    for (int p = 0; p < docs.length; p++) {
      rows.add(RowFactory.create(7, p, org.apache.spark.ml.linalg.Vectors.dense(p, 1), docs[p]));
      rows.add(RowFactory.create(9, p, org.apache.spark.ml.linalg.Vectors.dense(1, p), "one"));
    }
    Dataset<Row> t =
        spark.createDataFrame(
            rows,
            new org.apache.spark.sql.types.StructType()
                .add("seq_id", DataTypes.IntegerType, false)
                .add("pos", DataTypes.IntegerType, false)
                .add("x", org.apache.spark.ml.linalg.SQLDataTypes.VectorType(), false)
                .add("doc", DataTypes.StringType, true));
    TokenColumns c = TokenColumns.of(t.schema(), "x");
    InputValidator.ValidTable v = InputValidator.validate(t, c, "input");
    long[][] starts =
        io.sparkattention.spark.validate.SegmentValidator.segmentStarts(t, c, "doc", v);
    assertEquals(List.of(7L, 9L), v.seqIds());
    assertEquals(List.of(0L, 2L, 5L, 6L), java.util.Arrays.stream(starts[0]).boxed().toList());
    assertEquals(null, starts[1], "one segment: no starts");
  }

  @Test
  void segmentsDoNotGoWithCrossLocalPOrAPyramid() {
    for (AttentionSpec.Builder b :
        List.of(
            AttentionSpec.builder().cross(true),
            AttentionSpec.builder().localP(4),
            AttentionSpec.builder().pyramidLevels(1))) {
      InputException e = assertThrows(InputException.class, () -> b.segmentColumn("doc").build());
      assertEquals("segmentColumn", e.parameter(), e.getMessage());
    }
  }

  void assertRefused(Dataset<Row> bad, String... fragments) {
    TokenColumns c = TokenColumns.of(bad.schema(), "x");
    InputValidator.ValidTable v = InputValidator.validate(bad, c, "input");
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                DistributedAttention.compute(
                    spark, bad, c, v, spec(Strategy.BLOCKS, Mask.none(), 1, Selection.soft(), 1)));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }
  }

  static int[][] copy(int[][] a) {
    int[][] c = new int[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }
}
