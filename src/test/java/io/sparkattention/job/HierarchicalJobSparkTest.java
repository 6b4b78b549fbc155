package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.InputFile;
import io.sparkattention.fixtures.Json;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.OutputFiles;
import io.sparkattention.fixtures.PoolingReference;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.pooling.HierarchicalPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.SQLDataTypes;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hierarchical job end to end ({@link HierarchicalJob#run} on files): sentence and document
 * vectors and both levels' weights against the plain-loop {@link PoolingReference} (tanh,
 * max-subtracted softmax, weighted sums) on random documents of varied sentence counts and lengths,
 * with pooling blocks that cut sentences and documents; default weights; the same bits whatever the
 * partitioning; and one precise error per kind of bad input, with nothing written.
 */
class HierarchicalJobSparkTest {
  static final int D = 4;

  /** Sentences per document, and words per sentence: 1, multiples of the block size 5, and not. */
  static final int[][] DOCS = {
    {1}, {5, 1, 12}, {7, 10, 3, 1, 16, 2, 9}, {4, 21}, {3, 1, 5, 8, 2, 6, 11, 1, 4, 7, 5, 2}
  };

  static final String[] STRING_IDS = {"d-one", "d-three", "d-seven", "d-two", "d-twelve"};
  static final long[] INT_IDS = {40, -2, 7, 1000, 3};

  static SparkSession spark;
  @TempDir static Path tmp;

  /** words[doc][sent][pos] = x. */
  static double[][][][] words;

  static Pooling wordWeights;
  static Pooling sentenceWeights;
  static Path weightsFile;

  /** One level's weights; a null W is the identity, a null b zero. */
  record Pooling(double[][] W, double[] b, double[] u) {}

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    Random rnd = new Random(2016);
    words = new double[DOCS.length][][][];
    for (int d = 0; d < DOCS.length; d++) {
      words[d] = new double[DOCS[d].length][][];
      for (int s = 0; s < DOCS[d].length; s++) {
        words[d][s] = Matrices.gaussian(rnd, DOCS[d][s], D, 1.0);
      }
    }
    wordWeights =
        new Pooling(
            Matrices.gaussian(rnd, D, 3, 0.8),
            Matrices.gaussian(rnd, 1, 3, 0.5)[0],
            Matrices.gaussian(rnd, 1, 3, 1.5)[0]);
    sentenceWeights =
        new Pooling(
            Matrices.gaussian(rnd, D, 5, 0.8),
            Matrices.gaussian(rnd, 1, 5, 0.5)[0],
            Matrices.gaussian(rnd, 1, 5, 1.5)[0]);
    weightsFile = tmp.resolve("hierarchical-weights.json");
    Files.writeString(
        weightsFile,
        "{\"ww\": "
            + Json.json(wordWeights.W())
            + ", \"bw\": "
            + Json.json(wordWeights.b())
            + ", \"uw\": "
            + Json.json(wordWeights.u())
            + ", \"ws\": "
            + Json.json(sentenceWeights.W())
            + ", \"bs\": "
            + Json.json(sentenceWeights.b())
            + ", \"us\": "
            + Json.json(sentenceWeights.u())
            // the attention job's keys are ignored here
            + ", \"wq\": [[1.0]]}");
  }

  // ------------------------------------------------------------------ the reference

  /** Level weights α of H by the {@link PoolingReference}. */
  static double[] alpha(double[][] H, Pooling w) {
    return PoolingReference.weights(H, w.W(), w.b(), w.u());
  }

  static Pooling defaults(int width) {
    double[] u = new double[width];
    Arrays.fill(u, 1 / Math.sqrt(width));
    return new Pooling(null, null, u);
  }

  // ------------------------------------------------------------------ tables

  static Object[] ids(boolean integerIds) {
    Object[] ids = new Object[DOCS.length];
    for (int d = 0; d < DOCS.length; d++) {
      ids[d] = integerIds ? (Object) INT_IDS[d] : STRING_IDS[d];
    }
    return ids;
  }

  /** Every word as {doc, sent, pos}, shuffled. */
  static List<int[]> shuffledWords(long seed) {
    List<int[]> all = new ArrayList<>();
    for (int d = 0; d < DOCS.length; d++) {
      for (int s = 0; s < DOCS[d].length; s++) {
        for (int p = 0; p < DOCS[d][s]; p++) {
          all.add(new int[] {d, s, p});
        }
      }
    }
    Collections.shuffle(all, new Random(seed));
    return all;
  }

  static String writeParquet(Path path, boolean integerIds, long seed, int files) {
    Object[] ids = ids(integerIds);
    List<Row> rows = new ArrayList<>();
    for (int[] w : shuffledWords(seed)) {
      rows.add(
          RowFactory.create(
              ids[w[0]],
              integerIds ? (Object) (long) w[1] : (Object) w[1],
              w[2],
              Vectors.dense(words[w[0]][w[1]][w[2]])));
    }
    StructType schema =
        new StructType()
            .add("doc_id", integerIds ? DataTypes.LongType : DataTypes.StringType, false)
            .add("sent_id", integerIds ? DataTypes.LongType : DataTypes.IntegerType, false)
            .add("pos", DataTypes.IntegerType, false)
            .add("x", SQLDataTypes.VectorType(), false);
    spark.createDataFrame(rows, schema).repartition(files).write().parquet(path.toString());
    return path.toString();
  }

  static String line(String doc, String sent, String pos, String x) {
    return "{\"doc_id\":" + doc + ",\"sent_id\":" + sent + ",\"pos\":" + pos + ",\"x\":" + x + "}";
  }

  static List<String> jsonLines(boolean integerIds, long seed) {
    Object[] ids = ids(integerIds);
    List<String> lines = new ArrayList<>();
    for (int[] w : shuffledWords(seed)) {
      String id = integerIds ? String.valueOf(ids[w[0]]) : "\"" + ids[w[0]] + "\"";
      lines.add(
          line(id, String.valueOf(w[1]), String.valueOf(w[2]), Json.json(words[w[0]][w[1]][w[2]])));
    }
    return lines;
  }

  static String writeJson(Path path, List<String> lines) throws IOException {
    return Json.write(path, lines);
  }

  static HierarchicalPipeline.Outcome run(String input, Path out, String... options) {
    return JobRuns.hierarchical(input, out, options);
  }

  static double[] doubles(Row r, String column) {
    return ResultTables.vector(r, column);
  }

  /** "doc/sent" → {vec, word weights} and "doc" → {vec, sentence weights}. */
  static Map<String, double[][]> collect(Path out, TableFormat format) {
    Map<String, double[][]> got = new HashMap<>();
    Dataset<Row> sentences =
        spark.read().format(format.toString()).load(out.resolve("sentences").toString());
    for (Row r : sentences.collectAsList()) {
      String k = r.getAs("doc_id") + "/" + ((Number) r.getAs("sent_id")).longValue();
      assertTrue(
          got.put(k, new double[][] {doubles(r, "vec"), doubles(r, "word_weights")}) == null,
          "repeated sentence " + k);
    }
    Dataset<Row> documents =
        spark.read().format(format.toString()).load(out.resolve("documents").toString());
    for (Row r : documents.collectAsList()) {
      String k = String.valueOf((Object) r.getAs("doc_id"));
      assertTrue(
          got.put(k, new double[][] {doubles(r, "vec"), doubles(r, "sentence_weights")}) == null,
          "repeated document " + k);
    }
    return got;
  }

  static final class Worst {
    double err;
    String at = "";

    void check(double[] want, double[] got, String where) {
      assertEquals(want.length, got.length, "length of " + where);
      for (int c = 0; c < want.length; c++) {
        double e = Math.abs(got[c] - want[c]) / Math.max(1.0, Math.abs(want[c]));
        if (!(e <= err)) {
          err = e;
          at = where + "[" + c + "]";
        }
      }
    }
  }

  static void assertMatchesReference(
      Map<String, double[][]> got, boolean integerIds, Pooling word, Pooling sentence) {
    Object[] ids = ids(integerIds);
    Worst worst = new Worst();
    int rows = 0;
    for (int d = 0; d < DOCS.length; d++) {
      double[][] sentenceVectors = new double[DOCS[d].length][];
      for (int s = 0; s < DOCS[d].length; s++) {
        double[] alpha = alpha(words[d][s], word);
        sentenceVectors[s] = PoolingReference.weightedSum(words[d][s], D, alpha);
        double[][] row = got.get(ids[d] + "/" + s);
        assertTrue(row != null, "no sentence " + ids[d] + "/" + s);
        worst.check(sentenceVectors[s], row[0], "sentence " + ids[d] + "/" + s + " vec");
        worst.check(alpha, row[1], "sentence " + ids[d] + "/" + s + " word_weights");
        rows++;
      }
      double[] beta = alpha(sentenceVectors, sentence);
      double[][] row = got.get(String.valueOf(ids[d]));
      assertTrue(row != null, "no document " + ids[d]);
      worst.check(
          PoolingReference.weightedSum(sentenceVectors, D, beta),
          row[0],
          "document " + ids[d] + " vec");
      worst.check(beta, row[1], "document " + ids[d] + " sentence_weights");
      rows++;
    }
    assertEquals(rows, got.size(), "one row per sentence and per document, nothing else");
    assertTrue(
        worst.err <= 1e-9,
        String.format(Locale.ROOT, "worst relative error %.3g at %s", worst.err, worst.at));
  }

  // ------------------------------------------------------------------ tests

  static Stream<Arguments> roundTrips() {
    return Stream.of(
        Arguments.of(TableFormat.PARQUET, false, "5"),
        Arguments.of(TableFormat.PARQUET, true, "3"),
        Arguments.of(TableFormat.JSON, true, "1024"),
        Arguments.of(TableFormat.JSON, false, "2"));
  }

  @ParameterizedTest(name = "{0} integerIds={1} block={2}")
  @MethodSource("roundTrips")
  void poolingMatchesPlainLoops(TableFormat format, boolean integerIds, String blockSize)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "hier");
    String input =
        format == TableFormat.PARQUET
            ? writeParquet(dir.resolve("in.parquet"), integerIds, 1, 3)
            : writeJson(dir.resolve("in.jsonl"), jsonLines(integerIds, 1));
    Path out = dir.resolve("out");
    HierarchicalPipeline.Outcome o =
        run(input, out, "--weights", weightsFile.toString(), "--block-size", blockSize);
    int sentences = Arrays.stream(DOCS).mapToInt(s -> s.length).sum();
    assertEquals(sentences, o.sentences());
    assertEquals(DOCS.length, o.documents());
    assertEquals(D, o.width());
    assertMatchesReference(collect(out, format), integerIds, wordWeights, sentenceWeights);

    if (format == TableFormat.PARQUET) {
      Dataset<Row> s = spark.read().parquet(out.resolve("sentences").toString());
      assertEquals(List.of("doc_id", "sent_id", "vec", "word_weights"), List.of(s.columns()));
      assertEquals(SQLDataTypes.VectorType(), s.schema().apply("vec").dataType());
      assertEquals(
          integerIds ? DataTypes.LongType : DataTypes.IntegerType,
          s.schema().apply("sent_id").dataType(),
          "sent_id keeps the input's type");
      Dataset<Row> docs = spark.read().parquet(out.resolve("documents").toString());
      assertEquals(List.of("doc_id", "vec", "sentence_weights"), List.of(docs.columns()));
    }
  }

  @Test
  void defaultWeightsAreIdentityZeroAndOnesOverRootD() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "defaults");
    String input = writeJson(dir.resolve("in.json"), jsonLines(false, 4));
    Path out = dir.resolve("out");
    run(input, out, "--block-size", "4");
    assertMatchesReference(collect(out, TableFormat.JSON), false, defaults(D), defaults(D));
  }

  @Test
  void sameBitsWhateverThePartitioningAndRowOrder() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bits");
    List<Map<String, double[][]>> results = new ArrayList<>();
    int[][] variants = {{1, 1}, {9, 4}}; // shuffle seed, input files
    for (int[] v : variants) {
      String input = writeParquet(dir.resolve("in-" + v[0]), true, v[0], v[1]);
      Path out = dir.resolve("out-" + v[0]);
      run(input, out, "--weights", weightsFile.toString(), "--block-size", "3");
      results.add(collect(out, TableFormat.PARQUET));
    }
    assertEquals(results.get(0).keySet(), results.get(1).keySet());
    for (String k : results.get(0).keySet()) {
      for (int part = 0; part < 2; part++) {
        assertArrayEquals(
            results.get(0).get(k)[part], results.get(1).get(k)[part], 0.0, k + " part " + part);
      }
    }
  }

  // ------------------------------------------------------------------ bad input

  static Arguments bad(String name, InputFile input, String options, String... expected) {
    return Arguments.of(name, input, options, expected);
  }

  static InputFile json(List<String> lines) {
    return InputFile.lines("in.jsonl", lines);
  }

  /** The good table with line {@code i} replaced. */
  static InputFile replaced(int i, String line) {
    return dir -> {
      List<String> lines = new ArrayList<>(jsonLines(false, 8));
      lines.set(i, line);
      return writeJson(dir.resolve("in.jsonl"), lines);
    };
  }

  static InputFile weights(String json) {
    return dir -> {
      Files.writeString(dir.resolve("w.json"), json);
      return writeJson(dir.resolve("in.jsonl"), jsonLines(false, 8));
    };
  }

  static final String V = "[1.0,2.0,3.0,4.0]";

  static Stream<Arguments> badInputs() {
    return Stream.of(
        bad(
            "mixed widths",
            json(List.of(line("\"a\"", "0", "0", V), line("\"a\"", "0", "1", "[1.0,2.0]"))),
            "",
            "column x has mixed vector lengths: 2 at doc_id=a, sent_id=0, pos=1; 4 at doc_id=a,"
                + " sent_id=0, pos=0"),
        bad(
            "NaN",
            json(List.of(line("\"a\"", "0", "0", "[1.0,NaN,3.0,4.0]"))),
            "",
            "x[1] is NaN or null at doc_id=a, sent_id=0, pos=0"),
        bad(
            "infinity",
            json(
                List.of(
                    line("\"a\"", "0", "0", V), line("\"a\"", "1", "0", "[1.0,2.0,3.0,1e999]"))),
            "",
            "x[3] is Infinity at doc_id=a, sent_id=1, pos=0"),
        bad(
            "null pos",
            json(List.of(line("\"a\"", "0", "0", V), line("\"a\"", "2", "null", V))),
            "",
            "null pos (doc_id=a, sent_id=2)"),
        bad(
            "null sent_id",
            json(List.of(line("\"a\"", "0", "0", V), line("\"a\"", "null", "3", V))),
            "",
            "null sent_id (doc_id=a, pos=3)"),
        bad(
            "null doc_id",
            json(List.of(line("null", "1", "3", V))),
            "",
            "null doc_id (sent_id=1, pos=3)"),
        bad(
            "negative sent_id",
            json(List.of(line("\"a\"", "-1", "0", V))),
            "",
            "negative sent_id at doc_id=a, sent_id=-1, pos=0"),
        bad(
            "duplicate pos",
            json(
                List.of(
                    line("\"a\"", "0", "0", V),
                    line("\"b\"", "0", "0", V),
                    line("\"b\"", "0", "1", V),
                    line("\"b\"", "0", "1", V))),
            "",
            "pos must hold 0 … n-1 once each within a sentence; 1 sentence(s) do not:"
                + " doc_id=b, sent_id=0: duplicate pos 1"),
        bad(
            "missing pos",
            replaced(0, line("\"d-seven\"", "4", "99", V)),
            "",
            "doc_id=d-seven, sent_id=4: missing pos"),
        bad(
            "missing sent_id",
            json(
                List.of(
                    line("\"a\"", "0", "0", V),
                    line("\"a\"", "2", "0", V),
                    line("\"a\"", "3", "0", V),
                    line("\"b\"", "1", "0", V))),
            "",
            "column sent_id must hold 0 … k-1 within a document; 2 document(s) do not:"
                + " doc_id=a: missing sent_id 1 (3 sentences, largest sent_id 3);"
                + " doc_id=b: missing sent_id 0 (1 sentences, largest sent_id 1)"),
        bad(
            "no sent_id column",
            json(List.of("{\"doc_id\":\"a\",\"pos\":0,\"x\":" + V + "}")),
            "",
            "input has no column 'sent_id' (columns: doc_id, pos, x); expected doc_id, sent_id,"
                + " pos, x"),
        bad(
            "sent_id of a wrong type",
            json(List.of(line("\"a\"", "\"first\"", "0", V))),
            "",
            "column sent_id has type string; expected an integer type"),
        bad(
            "ww of the wrong height",
            weights("{\"ww\": [[1.0, 2.0], [3.0, 4.0]]}"),
            "--weights W",
            "w.json: ww is 2×2 but the word vectors are 4 wide (need 4 rows)"),
        bad(
            "uw not matching ww",
            weights(
                "{\"ww\": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], \"uw\": [1, 2, 3]}"),
            "--weights W",
            "uw has 3 entries (need 2: ww's columns)"),
        bad(
            "bs not matching the identity",
            weights("{\"bs\": [1, 2]}"),
            "--weights W",
            "bs has 2 entries (need 4: without ws, W is the identity)"),
        bad(
            "unknown weights key",
            weights("{\"wx\": [[1.0]]}"),
            "--weights W",
            "has unknown key 'wx' (the hierarchical job reads ww, bw, uw, ws, bs, us)"),
        bad(
            "block size 0",
            json(List.of(line("\"a\"", "0", "0", V))),
            "--block-size 0",
            "--block-size must be >= 1, got 0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputIsRefusedWithAPreciseMessage(
      String name, InputFile input, String options, String[] expected) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    String in = input.make(dir);
    List<String> args = new ArrayList<>();
    for (String o : options.isEmpty() ? new String[0] : options.split(" ")) {
      args.add(o.equals("W") ? dir.resolve("w.json").toString() : o);
    }
    Path out = dir.resolve("out");
    InputException e =
        assertThrows(InputException.class, () -> run(in, out, args.toArray(new String[0])));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
    assertFalse(Files.exists(out), "nothing written");
    OutputFiles.assertNoStaging(dir);
  }

  @Test
  void aFailedWriteLeavesNothingBehind() throws IOException {
    // The output path exists and --overwrite is off: refused before any work.
    Path dir = Files.createTempDirectory(tmp, "exists");
    String input = writeJson(dir.resolve("in.jsonl"), jsonLines(false, 2));
    Path out = Files.createDirectories(dir.resolve("out"));
    InputException e = assertThrows(InputException.class, () -> run(input, out));
    assertTrue(e.getMessage().contains("output path already exists"), e.getMessage());
    // With --overwrite it is replaced by a complete result.
    run(input, out, "--overwrite", "--block-size", "4");
    assertMatchesReference(collect(out, TableFormat.JSON), false, defaults(D), defaults(D));
    OutputFiles.assertNoStaging(dir);
  }
}
