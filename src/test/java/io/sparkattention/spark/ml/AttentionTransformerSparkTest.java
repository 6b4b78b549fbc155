package io.sparkattention.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Fp32Bound;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.ModernReference;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.job.AttentionJob;
import io.sparkattention.job.AttentionJobConfig;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AttentionTransformer} inside a {@link Pipeline}: saved and reloaded as a {@link
 * PipelineModel}, it adds one output per input row that equals, bit for bit, what the attention job
 * ({@link AttentionJob#run}) writes for the same table, and matches the plain-loop {@link
 * SoftmaxReference}; bad param values and bad columns fail with clear messages.
 */
class AttentionTransformerSparkTest {
  static final int D = 4;
  static final int[] LENGTHS = {1, 6, 23, 41};
  static final String[] IDS = {"a", "b", "c", "d"};

  static SparkSession spark;
  @TempDir static Path tmp;
  static double[][][] seqs;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    Random rnd = new Random(31);
    seqs = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      seqs[s] = Matrices.gaussian(rnd, LENGTHS[s], D, 1.0);
    }
  }

  /** The tokens with the given column names, an extra label column, shuffled. */
  static Dataset<Row> table(String seq, String pos, String x) {
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      for (int p = 0; p < LENGTHS[s]; p++) {
        rows.add(RowFactory.create(IDS[s], (long) p, Vectors.dense(seqs[s][p]), s * 1000 + p));
      }
    }
    Collections.shuffle(rows, new Random(5));
    StructType schema =
        new StructType()
            .add(seq, DataTypes.StringType, false)
            .add(pos, DataTypes.LongType, false)
            .add(x, SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.IntegerType, false);
    return spark.createDataFrame(rows, schema).repartition(3);
  }

  /** "seq/pos" → vector of column {@code out}; fails on a repeated key. */
  static Map<String, double[]> byToken(Dataset<Row> df, String seq, String pos, String out) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : df.collectAsList()) {
      String k = r.getAs(seq) + "/" + ((Number) r.getAs(pos)).longValue();
      if (m.put(k, ((Vector) r.getAs(out)).toArray()) != null) {
        fail("repeated row " + k);
      }
    }
    return m;
  }

  @Test
  void pipelineSavedAndReloadedEqualsTheJobAndTheReference() throws Exception {
    Dataset<Row> input = table("doc", "t", "features");
    AttentionTransformer attention =
        new AttentionTransformer()
            .setSeqIdCol("doc")
            .setPosCol("t")
            .setInputCol("features")
            .setOutputCol("attended")
            .setAttention("causal")
            .setWindow(9)
            .setHeads(2)
            .setStrategy("blocks")
            .setBlockSize(4);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {attention}).fit(input);
    String saved = tmp.resolve("model").toString();
    model.write().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);

    AttentionTransformer reloaded = (AttentionTransformer) loaded.stages()[0];
    assertEquals(attention.uid(), reloaded.uid());
    assertEquals("causal", reloaded.getAttention());
    assertEquals(9, reloaded.getWindow());
    assertEquals(2, reloaded.getHeads());
    assertEquals("blocks", reloaded.getStrategy());
    assertEquals(4, reloaded.getBlockSize());
    assertEquals("attended", reloaded.getOutputCol());

    Dataset<Row> result = loaded.transform(input);
    assertEquals(
        List.of("doc", "t", "features", "label", "attended"),
        List.of(result.columns()),
        "the input's columns, then the output");
    assertEquals(SQLDataTypes.VectorType(), result.schema().apply("attended").dataType());
    List<Row> rows = result.collectAsList();
    int tokens = 0;
    for (int n : LENGTHS) {
      tokens += n;
    }
    assertEquals(tokens, rows.size(), "one row per input row");
    for (Row r : rows) {
      // the other columns travel with their row
      int s = List.of(IDS).indexOf((String) r.getAs("doc"));
      long p = r.getAs("t");
      assertEquals(s * 1000 + p, (int) r.getAs("label"));
    }
    Map<String, double[]> got = byToken(result, "doc", "t", "attended");

    // The job on the same table (its own column names), same options.
    String jobInput = tmp.resolve("job-in").toString();
    table("seq_id", "pos", "x").drop("label").write().parquet(jobInput);
    String jobOutput = tmp.resolve("job-out").toString();
    AttentionJob.run(
        spark,
        new AttentionJobConfig(
            AttentionRequest.builder()
                .input(jobInput)
                .output(jobOutput)
                .format(TableFormat.PARQUET)
                .spec(
                    AttentionSpec.builder()
                        .mask(Mask.causalWindow(9))
                        .heads(2)
                        .strategy(Strategy.BLOCKS)
                        .blockSize(4)
                        .build())
                .build(),
            null));
    Map<String, double[]> job = byToken(spark.read().parquet(jobOutput), "seq_id", "pos", "out");
    assertEquals(job.keySet(), got.keySet());
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 2, Allowed.causalWindow(9));
      for (int p = 0; p < LENGTHS[s]; p++) {
        String k = IDS[s] + "/" + p;
        double[] a = got.get(k);
        double[] b = job.get(k);
        for (int c = 0; c < D; c++) {
          if (Double.doubleToRawLongBits(a[c]) != Double.doubleToRawLongBits(b[c])) {
            fail("transformer and job differ at " + k + "[" + c + "]: " + a[c] + " vs " + b[c]);
          }
          worst = Math.max(worst, Math.abs(a[c] - want[p][c]) / Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    assertTrue(worst <= 1e-9, String.format(Locale.ROOT, "worst relative error %.3g", worst));
  }

  @Test
  void defaultsReadTheTokenTableShape() {
    AttentionTransformer t = AttentionTransformer.load(saveDefaults());
    assertEquals("x", t.getInputCol());
    assertEquals("seq_id", t.getSeqIdCol());
    assertEquals("pos", t.getPosCol());
    assertEquals("out", t.getOutputCol());
    assertEquals("global", t.getAttention());
    assertNull(t.getWindow());
    Map<String, double[]> got =
        byToken(t.transform(table("seq_id", "pos", "x")), "seq_id", "pos", "out");
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 1, Allowed.ALL);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] a = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          assertEquals(want[p][c], a[c], 1e-9 * Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
  }

  /**
   * The score params (RoPE, ALiBi, softcap, scale) survive save and load and match the reference.
   */
  @Test
  void scoreParamsReachTheKernelAndSurviveSaveAndLoad() throws Exception {
    AttentionTransformer t =
        new AttentionTransformer()
            .setAttention("causal")
            .setHeads(2)
            .setStrategy("blocks")
            .setBlockSize(4)
            .setRope("interleaved")
            .setRopeTheta(300)
            .setAlibi(true)
            .setSoftcap(3)
            .setScale(0.7);
    String path = tmp.resolve("scores").toString();
    t.write().save(path);
    AttentionTransformer loaded = AttentionTransformer.load(path);
    assertEquals("interleaved", loaded.getOrDefault(loaded.rope()));
    assertEquals(300.0, (Double) loaded.getOrDefault(loaded.ropeTheta()));
    Map<String, double[]> got =
        byToken(loaded.transform(table("seq_id", "pos", "x")), "seq_id", "pos", "out");
    ModernReference.Options o =
        new ModernReference.Options().rope("interleaved", 300).alibi().softcap(3).scale(0.7);
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = ModernReference.multiHead(seqs[s], seqs[s], null, 2, Allowed.causal(), o);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] a = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          assertEquals(want[p][c], a[c], 1e-9 * Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> t.setRope("neox"));
    assertTrue(bad.getMessage().contains("rope"), bad.getMessage());
  }

  /**
   * {@code precision fp32} survives save and load and gives the fp64 reference's numbers within the
   * fp32 bound ({@link Fp32Bound}, per head), not its bits.
   */
  @Test
  void fp32PrecisionStaysWithinItsBoundAndSurvivesSaveAndLoad() throws Exception {
    AttentionTransformer t =
        new AttentionTransformer()
            .setAttention("causal")
            .setHeads(2)
            .setStrategy("blocks")
            .setBlockSize(4)
            .setPrecision("fp32");
    String path = tmp.resolve("fp32").toString();
    t.write().save(path);
    AttentionTransformer loaded = AttentionTransformer.load(path);
    assertEquals("fp32", loaded.getPrecision());
    assertEquals("fp64", new AttentionTransformer().getPrecision());
    Map<String, double[]> got =
        byToken(loaded.transform(table("seq_id", "pos", "x")), "seq_id", "pos", "out");
    int dh = D / 2;
    boolean differs = false;
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 2, Allowed.causal());
      for (int h = 0; h < 2; h++) {
        double[][] Xh = Matrices.columns(seqs[s], h * dh, dh);
        double[] bound = Fp32Bound.rowBounds(Xh, Xh, Xh, 1 / Math.sqrt(dh), 4);
        for (int p = 0; p < LENGTHS[s]; p++) {
          double[] a = got.get(IDS[s] + "/" + p);
          for (int c = h * dh; c < (h + 1) * dh; c++) {
            assertEquals(want[p][c], a[c], bound[p], IDS[s] + "/" + p + " column " + c);
            differs |= want[p][c] != a[c];
          }
        }
      }
    }
    assertTrue(differs, "fp32 should not give fp64's bits");
    assertThrows(IllegalArgumentException.class, () -> t.setPrecision("bf16"));
  }

  /** {@code globalTokens} (Longformer) survives save and load and matches the reference. */
  @Test
  void globalTokensReachTheKernelAndSurviveSaveAndLoad() throws Exception {
    AttentionTransformer t =
        new AttentionTransformer()
            .setAttention("local")
            .setWindow(2)
            .setGlobalTokens(3)
            .setHeads(2)
            .setStrategy("window")
            .setBlockSize(4);
    String path = tmp.resolve("global").toString();
    t.write().save(path);
    AttentionTransformer loaded = AttentionTransformer.load(path);
    assertEquals(3, loaded.getGlobalTokens());
    Map<String, double[]> got =
        byToken(loaded.transform(table("seq_id", "pos", "x")), "seq_id", "pos", "out");
    Allowed allowed = Allowed.global(Allowed.window(2), 3, false);
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 2, allowed);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] a = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          assertEquals(want[p][c], a[c], 1e-9 * Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> t.setGlobalTokens(-1));
  }

  /**
   * {@code segmentCol} (packed documents): survives save and load, and the output equals the
   * reference with the same-document rule written as a predicate on the labels; an unknown column
   * is refused naming it.
   */
  @Test
  void globalColMakesItsTrueRowsGlobal() throws Exception {
    boolean[][] global = new boolean[LENGTHS.length][];
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      global[s] = new boolean[LENGTHS[s]];
      for (int p = 0; p < LENGTHS[s]; p++) {
        global[s][p] = (p * 7 + s) % 9 == 4; // scattered, not a prefix
        rows.add(RowFactory.create(IDS[s], (long) p, Vectors.dense(seqs[s][p]), global[s][p]));
      }
    }
    StructType schema =
        new StructType()
            .add("seq_id", DataTypes.StringType, false)
            .add("pos", DataTypes.LongType, false)
            .add("features", SQLDataTypes.VectorType(), false)
            .add("important", DataTypes.BooleanType, false);
    Dataset<Row> input = spark.createDataFrame(rows, schema).repartition(3);
    AttentionTransformer t =
        new AttentionTransformer()
            .setInputCol("features")
            .setGlobalCol("important")
            .setAttention("local")
            .setWindow(1)
            .setHeads(2)
            .setStrategy("blocks")
            .setBlockSize(4);
    String path = tmp.resolve("global-col").toString();
    t.write().save(path);
    AttentionTransformer loaded = AttentionTransformer.load(path);
    assertEquals("important", loaded.getGlobalCol());
    assertNull(new AttentionTransformer().getGlobalCol());
    Map<String, double[]> got = byToken(loaded.transform(input), "seq_id", "pos", "out");
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      boolean[] g = global[s];
      Allowed window = Allowed.window(1);
      Allowed rule = (q, k) -> window.test(q, k) || g[(int) q] || g[(int) k];
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 2, rule);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] a = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          worst = Math.max(worst, Math.abs(a[c] - want[p][c]) / Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    assertTrue(worst <= 1e-9, String.format(Locale.ROOT, "worst relative error %.3g", worst));
  }

  @Test
  void segmentColKeepsAttentionWithinItsDocument() throws Exception {
    int[][] docs = new int[LENGTHS.length][];
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      docs[s] = new int[LENGTHS[s]];
      for (int p = 0; p < LENGTHS[s]; p++) {
        docs[s][p] = (p + 3 * s) / (s + 5); // contiguous documents of s + 5 tokens (first shorter)
        rows.add(
            RowFactory.create(
                IDS[s], (long) p, Vectors.dense(seqs[s][p]), "part-" + (100 - docs[s][p])));
      }
    }
    StructType schema =
        new StructType()
            .add("seq_id", DataTypes.StringType, false)
            .add("pos", DataTypes.LongType, false)
            .add("features", SQLDataTypes.VectorType(), false)
            .add("x", DataTypes.StringType, false); // the job's name for the input, here a label
    Dataset<Row> input = spark.createDataFrame(rows, schema).repartition(3);
    AttentionTransformer t =
        new AttentionTransformer()
            .setInputCol("features")
            .setSegmentCol("x")
            .setAttention("causal")
            .setHeads(2)
            .setStrategy("blocks")
            .setBlockSize(4);
    String path = tmp.resolve("segments").toString();
    t.write().save(path);
    AttentionTransformer loaded = AttentionTransformer.load(path);
    assertEquals("x", loaded.getSegmentCol());
    assertNull(new AttentionTransformer().getSegmentCol());
    Map<String, double[]> got = byToken(loaded.transform(input), "seq_id", "pos", "out");
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      int[] doc = docs[s];
      Allowed causal = Allowed.causal();
      Allowed sameDocument = (q, k) -> doc[(int) q] == doc[(int) k] && causal.test(q, k);
      double[][] want = SoftmaxReference.multiHead(seqs[s], null, 2, sameDocument);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] a = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          worst = Math.max(worst, Math.abs(a[c] - want[p][c]) / Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    assertTrue(worst <= 1e-9, String.format(Locale.ROOT, "worst relative error %.3g", worst));
    // the documents matter: the last token of the longest sequence differs from plain causal
    double[] plain = SoftmaxReference.multiHead(seqs[3], null, 2, Allowed.causal())[40];
    assertTrue(Math.abs(plain[0] - got.get("d/40")[0]) > 1e-6);

    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new AttentionTransformer()
                    .setInputCol("features")
                    .setSegmentCol("document")
                    .transform(input));
    assertTrue(
        unknown
            .getMessage()
            .endsWith(
                ": segmentCol 'document' is not a column of the input (columns: seq_id, pos,"
                    + " features, x)"),
        unknown.getMessage());
  }

  private static String saveDefaults() {
    String path = tmp.resolve("defaults").toString();
    try {
      new AttentionTransformer().write().save(path);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return path;
  }

  @Test
  void badParamValuesAreRefusedNamingTheParam() {
    AttentionTransformer t = new AttentionTransformer();
    IllegalArgumentException heads =
        assertThrows(IllegalArgumentException.class, () -> t.setHeads(0));
    assertTrue(
        heads.getMessage().contains("parameter heads given invalid value 0"), heads.getMessage());
    IllegalArgumentException kind =
        assertThrows(IllegalArgumentException.class, () -> t.setAttention("sparse"));
    assertTrue(
        kind.getMessage().contains("parameter attention given invalid value sparse"),
        kind.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.setStrategy("fastest"));
    assertThrows(IllegalArgumentException.class, () -> t.setWindow(-1));
    assertThrows(IllegalArgumentException.class, () -> t.setBlockSize(0));

    Dataset<Row> input = table("seq_id", "pos", "x");
    IllegalArgumentException local =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setAttention("local").transform(input));
    assertTrue(
        local.getMessage().matches("attention_\\w+: attention 'local' needs a window"),
        local.getMessage());
    IllegalArgumentException window =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setStrategy("window").transformSchema(input.schema()));
    assertTrue(window.getMessage().contains("strategy 'window' needs local attention"));
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setInputCol("features").transform(input));
    assertTrue(
        missing
            .getMessage()
            .endsWith(
                ": inputCol 'features' is not a column of the input (columns: seq_id, pos, x, label)"),
        missing.getMessage());
    IllegalArgumentException exists =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setOutputCol("label").transformSchema(input.schema()));
    assertTrue(exists.getMessage().endsWith(": outputCol 'label' already exists in the input"));
    IllegalArgumentException type =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setPosCol("seq_id").transformSchema(input.schema()));
    assertTrue(
        type.getMessage().endsWith(": posCol 'seq_id' has type string; expected an integer type"),
        type.getMessage());
    IllegalArgumentException heads3 =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AttentionTransformer().setHeads(3).transform(input));
    assertTrue(heads3.getMessage().contains("3 heads do not divide"), heads3.getMessage());
  }

  @Test
  void badRowsFailWithTheJobsValidationMessage() {
    Dataset<Row> input = table("seq_id", "pos", "x");
    Dataset<Row> duplicated = input.union(input.filter("seq_id = 'c' AND pos = 7"));
    InputException e =
        assertThrows(InputException.class, () -> new AttentionTransformer().transform(duplicated));
    assertTrue(e.getMessage().contains("seq_id=c: duplicate pos 7"), e.getMessage());
  }
}
