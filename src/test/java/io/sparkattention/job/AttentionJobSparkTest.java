package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
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
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The attention job end to end ({@link AttentionJob#run} on files in a temporary directory): round
 * trips in both formats against a plain-loop reference written here (projections by hand), bit
 * identical results whatever the partitioning and row order, the output's all-or-nothing rules, and
 * one {@link InputException} with a precise message per kind of bad input or option.
 */
class AttentionJobSparkTest {
  static final int D = 8;
  static final int[] LENGTHS = {1, 5, 37, 300};
  static final String[] STRING_IDS = {"one", "five", "thirty-seven", "three-hundred"};

  /** Integer ids whose numeric, string and input orders all differ. */
  static final int[] INT_IDS = {100, -3, 7, 20};

  static SparkSession spark;
  @TempDir static Path tmp;

  /** The sequences behind every valid table here, and a set of weights d=8 → 8. */
  static double[][][] seqs;

  static Weights weights;
  static Path weightsFile;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    Random rnd = new Random(2024);
    seqs = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      seqs[s] = gaussian(rnd, LENGTHS[s], D, 1.0);
    }
    weights = new Weights();
    weights.wq = gaussian(rnd, D, D, 0.5);
    weights.bq = gaussian(rnd, 1, D, 0.5)[0];
    weights.wk = gaussian(rnd, D, D, 0.5);
    weights.bk = gaussian(rnd, 1, D, 0.5)[0];
    weights.wv = gaussian(rnd, D, D, 0.5);
    weights.bv = gaussian(rnd, 1, D, 0.5)[0];
    weights.wo = gaussian(rnd, D, D, 0.5);
    weights.bo = gaussian(rnd, 1, D, 0.5)[0];
    weightsFile = tmp.resolve("weights.json");
    Files.writeString(weightsFile, weights.toJson());
  }

  // ------------------------------------------------------------------ round trips

  static Stream<Arguments> roundTrips() {
    return Stream.of(
        Arguments.of(
            TableFormat.PARQUET, false, new String[] {"--attention", "global", "--heads", "2"}),
        Arguments.of(
            TableFormat.PARQUET,
            true,
            new String[] {
              "--attention",
              "causal",
              "--window",
              "20",
              "--strategy",
              "window",
              "--block-size",
              "16"
            }),
        Arguments.of(
            TableFormat.JSON,
            false,
            new String[] {
              "--attention",
              "local",
              "--window",
              "3",
              "--heads",
              "4",
              "--strategy",
              "blocks",
              "--block-size",
              "16",
              "--query-tile-blocks",
              "2",
              "--key-tile-blocks",
              "2"
            }),
        Arguments.of(
            TableFormat.JSON,
            true,
            new String[] {
              "--attention", "causal", "--heads", "2", "--strategy", "heads", "--block-size", "32"
            }));
  }

  @ParameterizedTest(name = "{0} integerIds={1} {2}")
  @MethodSource("roundTrips")
  void roundTrip(TableFormat format, boolean integerIds, String[] options) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "roundtrip");
    String input =
        format == TableFormat.PARQUET
            ? writeParquet(dir.resolve("in.parquet"), integerIds, 11, 3)
            : writeJson(dir.resolve("in.jsonl"), integerIds, 11);
    Path out = dir.resolve("out");
    long written = run(input, out, options);
    int tokens = Arrays.stream(LENGTHS).sum();
    assertEquals(tokens, written);

    Dataset<Row> result = spark.read().format(format.toString()).load(out.toString());
    if (format == TableFormat.PARQUET) {
      assertEquals(List.of("seq_id", "pos", "out"), Arrays.asList(result.columns()));
    } else {
      // Spark's JSON reader sorts the columns; the lines themselves keep the order.
      assertEquals(List.of("out", "pos", "seq_id"), Arrays.asList(result.columns()));
      String first = spark.read().textFile(out.toString()).first();
      assertTrue(first.matches("\\{\"seq_id\":.*,\"pos\":\\d+,\"out\":\\[.*\\]}"), first);
    }
    StructType schema = result.schema();
    DataType seqType = schema.apply("seq_id").dataType();
    DataType posType = schema.apply("pos").dataType();
    if (format == TableFormat.PARQUET) {
      assertEquals(integerIds ? DataTypes.IntegerType : DataTypes.StringType, seqType);
      assertEquals(integerIds ? DataTypes.LongType : DataTypes.IntegerType, posType);
      assertEquals(SQLDataTypes.VectorType(), schema.apply("out").dataType());
    } else {
      // JSON has no int: the reader infers long for both, and the job keeps what it read.
      assertEquals(integerIds ? DataTypes.LongType : DataTypes.StringType, seqType);
      assertEquals(DataTypes.LongType, posType);
      assertEquals(
          DataTypes.createArrayType(DataTypes.DoubleType, true), schema.apply("out").dataType());
    }
    Map<String, double[]> got = collect(result);
    assertEquals(tokens, got.size(), "exactly one row per token (no duplicates)");
    assertTrue(got.containsKey(key(ids(integerIds)[0], 0)), "the one-token sequence is there");

    CommandLine.ParseResult parsed =
        new CommandLine(new AttentionJob()).parseArgs(withIo(input, out, options));
    String kind = parsed.matchedOptionValue("--attention", "global");
    Integer window = parsed.matchedOptionValue("--window", null);
    int heads = parsed.matchedOptionValue("--heads", 1);
    assertMatchesReference(got, integerIds, null, heads, kind, window);
  }

  @Test
  void oneTokenTableIsValidAndAttendsToItself() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "one");
    Path in = dir.resolve("in.json");
    Files.writeString(in, line("\"solo\"", "0", "[1.5,-2.0,0.0,3.25,1e-3,-7.0,2.0,0.5]") + "\n");
    Path out = dir.resolve("out");
    assertEquals(1, run(in.toString(), out, "--attention", "causal", "--heads", "2"));
    List<Row> rows = spark.read().json(out.toString()).collectAsList();
    assertEquals(1, rows.size());
    assertEquals("solo", rows.get(0).getAs("seq_id"));
    assertEquals(0L, (long) rows.get(0).getAs("pos"));
    // Softmax over a single key is 1: the output is the token's own value, x itself.
    assertArrayEquals(
        new double[] {1.5, -2.0, 0.0, 3.25, 1e-3, -7.0, 2.0, 0.5}, vector(rows.get(0), "out"), 0.0);
  }

  static Stream<Arguments> weighted() {
    return Stream.of(
        Arguments.of("global", "blocks"),
        Arguments.of("causal", "single"),
        Arguments.of("local", "window"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("weighted")
  void weightsMatchProjectionsByHand(String kind, String strategy) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "weights");
    String input = writeParquet(dir.resolve("in.parquet"), false, 5, 2);
    Path out = dir.resolve("out");
    List<String> options =
        new ArrayList<>(
            List.of(
                "--attention",
                kind,
                "--heads",
                "2",
                "--weights",
                weightsFile.toString(),
                "--strategy",
                strategy,
                "--block-size",
                "16",
                "--query-tile-blocks",
                "2",
                "--key-tile-blocks",
                "3"));
    Integer window = kind.equals("local") ? 9 : null;
    if (window != null) {
      options.addAll(List.of("--window", String.valueOf(window)));
    }
    run(input, out, options.toArray(new String[0]));
    Map<String, double[]> got = collect(spark.read().parquet(out.toString()));
    assertMatchesReference(got, false, weights, 2, kind, window);
  }

  // ------------------------------------------------------------------ determinism

  @Test
  void blocksAreBitIdenticalWhateverThePartitioningAndRowOrder() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bits");
    int[][] variants = {{1, 1, 1}, {2, 3, 3}, {3, 5, 7}}; // shuffle seed, input files, --partitions
    List<Map<String, double[]>> results = new ArrayList<>();
    for (int[] v : variants) {
      String input = writeParquet(dir.resolve("in-" + v[0] + ".parquet"), true, v[0], v[1]);
      Path out = dir.resolve("out-" + v[2]);
      run(
          input,
          out,
          "--attention",
          "global",
          "--heads",
          "2",
          "--weights",
          weightsFile.toString(),
          "--strategy",
          "blocks",
          "--block-size",
          "16",
          "--query-tile-blocks",
          "2",
          "--key-tile-blocks",
          "2",
          "--partitions",
          String.valueOf(v[2]));
      results.add(collect(spark.read().parquet(out.toString())));
    }
    assertMatchesReference(results.get(0), true, weights, 2, "global", null);
    List<String> keys = new ArrayList<>(results.get(0).keySet());
    Collections.sort(keys);
    for (int r = 1; r < results.size(); r++) {
      assertEquals(results.get(0).keySet(), results.get(r).keySet());
      for (String k : keys) {
        double[] a = results.get(0).get(k);
        double[] b = results.get(r).get(k);
        for (int c = 0; c < D; c++) {
          if (Double.doubleToRawLongBits(a[c]) != Double.doubleToRawLongBits(b[c])) {
            fail(
                "--partitions "
                    + variants[r][2]
                    + " differs from --partitions 1 at "
                    + k
                    + "["
                    + c
                    + "]: "
                    + a[c]
                    + " vs "
                    + b[c]);
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ the output path

  @Test
  void existingOutputNeedsOverwriteAndIsThenReplaced() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "overwrite");
    String input = writeJson(dir.resolve("in.json"), false, 3);
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Path old = Files.writeString(out.resolve("old-result.txt"), "keep me unless --overwrite");

    Launch l = launch(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertEquals(
        "error: output path already exists: " + out + " (use --overwrite to replace it)",
        l.err().strip());
    assertTrue(Files.exists(old), "the old output is untouched");
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(1, files.count(), "nothing added to the existing output");
    }

    run(input, out, "--attention", "global", "--overwrite");
    assertFalse(Files.exists(old), "the old output is gone");
    assertMatchesReference(
        collect(spark.read().json(out.toString())), false, null, 1, "global", null);
    assertNoStaging(dir);
  }

  @Test
  void failedRunKeepsTheOldOutputAndLeavesNoStaging() throws IOException {
    // Weights so large that scores overflow: the failure happens while the result is written.
    Path dir = Files.createTempDirectory(tmp, "fail");
    String input = writeParquet(dir.resolve("in.parquet"), false, 3, 2);
    Weights huge = new Weights();
    huge.wq = new double[D][D];
    huge.wk = new double[D][D];
    for (int i = 0; i < D; i++) {
      huge.wq[i][i] = 1e200;
      huge.wk[i][i] = 1e200;
    }
    Path hugeFile = Files.writeString(dir.resolve("huge.json"), huge.toJson());
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Path old = Files.writeString(out.resolve("old-result.txt"), "previous result");
    String[] options = {
      "--attention",
      "global",
      "--weights",
      hugeFile.toString(),
      "--overwrite",
      "--strategy",
      "blocks",
      "--block-size",
      "16"
    };
    Exception e = assertThrows(Exception.class, () -> run(input, out, options));
    assertFalse(e instanceof InputException, "fails in a task, after validation: " + e);
    assertTrue(String.valueOf(e.getMessage()).contains("Infinity"), String.valueOf(e));
    assertTrue(Files.exists(old), "the old output survives a failed run: " + e);
    assertNoStaging(dir);

    Path fresh = dir.resolve("fresh");
    assertThrows(Exception.class, () -> run(input, fresh, options));
    assertFalse(Files.exists(fresh), "nothing at the output path after a failed run");
    assertNoStaging(dir);

    // As the user sees it: exit 1, the innermost cause in one line, no stack trace.
    Launch l = launch(withIo(input, fresh, options));
    assertEquals(JobLauncher.RUN_ERROR, l.code(), l.err());
    String[] lines = l.err().strip().split("\\R");
    assertEquals(2, lines.length, l.err());
    assertTrue(lines[0].startsWith("error: job failed: "), lines[0]);
    assertTrue(lines[0].contains("Infinity"), lines[0]);
    assertEquals("(run with --verbose for the stack trace)", lines[1]);
    assertFalse(l.err().contains("\tat "), l.err());
    assertFalse(Files.exists(fresh));
    assertNoStaging(dir);
  }

  // ------------------------------------------------------------------ bad input and options

  /** How to make one bad input: writes it under a directory, returns its path. */
  interface Maker {
    String make(Path dir) throws IOException;
  }

  record Bad(Maker input, List<String> options, List<String> expected) {}

  private static Arguments bad(String name, Maker input, String options, String... expected) {
    List<String> opts = options.isEmpty() ? List.of() : Arrays.asList(options.split(" "));
    return Arguments.of(name, new Bad(input, opts, Arrays.asList(expected)));
  }

  /** Valid JSON lines: seq a at pos 0–3, seq b at pos 0–2 (indices 0–3 and 4–6). */
  static List<String> goodLines() {
    List<String> lines = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      lines.add(line("\"a\"", String.valueOf(p), json(smallVector(p, D))));
    }
    for (int p = 0; p < 3; p++) {
      lines.add(line("\"b\"", String.valueOf(p), json(smallVector(10 + p, D))));
    }
    return lines;
  }

  static Maker jsonWith(int index, String replacement) {
    return dir -> {
      List<String> lines = goodLines();
      lines.set(index, replacement);
      Path f = dir.resolve("in.jsonl");
      Files.write(f, lines, StandardCharsets.UTF_8);
      return f.toString();
    };
  }

  static Maker json(List<String> lines) {
    return dir -> {
      Path f = dir.resolve("in.json");
      Files.write(f, lines, StandardCharsets.UTF_8);
      return f.toString();
    };
  }

  /** The good table as Parquet, with x[c] of (seq a or b, pos p) set to {@code value}. */
  static Maker parquetWith(String seq, int pos, int c, double value) {
    return dir -> {
      List<Row> rows = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        rows.add(RowFactory.create("a", p, Vectors.dense(smallVector(p, D))));
      }
      for (int p = 0; p < 3; p++) {
        rows.add(RowFactory.create("b", p, Vectors.dense(smallVector(10 + p, D))));
      }
      int i = (seq.equals("a") ? 0 : 4) + pos;
      double[] x = ((Vector) rows.get(i).get(2)).toArray();
      x[c] = value;
      rows.set(i, RowFactory.create(seq, pos, Vectors.dense(x)));
      Path p = dir.resolve("in.parquet");
      spark
          .createDataFrame(rows, schema(DataTypes.StringType, DataTypes.IntegerType))
          .write()
          .parquet(p.toString());
      return p.toString();
    };
  }

  static Maker goodJson() {
    return json(goodLines());
  }

  static Maker weightsJson(String text) {
    return dir -> {
      Files.writeString(dir.resolve("w.json"), text);
      return goodJson().make(dir);
    };
  }

  static String matrixJson(int rows, int cols) {
    double[][] m = new double[rows][cols];
    for (int i = 0; i < Math.min(rows, cols); i++) {
      m[i][i] = 1;
    }
    return json(m);
  }

  static Stream<Arguments> badInputs() {
    String vec = json(smallVector(1, D));
    String w = "--attention global --weights W";
    return Stream.of(
        bad(
            "mixed vector lengths",
            jsonWith(5, line("\"b\"", "1", json(smallVector(1, 7)))),
            "--attention global",
            "column x has mixed vector lengths",
            "7 at seq_id=b, pos=1"),
        bad(
            "NaN",
            parquetWith("a", 2, 3, Double.NaN),
            "--attention global",
            "x[3] is NaN or null at seq_id=a, pos=2"),
        bad(
            "+Infinity",
            parquetWith("b", 0, 0, Double.POSITIVE_INFINITY),
            "--attention global",
            "x[0] is Infinity at seq_id=b, pos=0"),
        bad(
            "-Infinity",
            parquetWith("a", 3, 7, Double.NEGATIVE_INFINITY),
            "--attention global",
            "x[7] is -Infinity at seq_id=a, pos=3"),
        bad(
            "null entry in x",
            jsonWith(0, line("\"a\"", "0", vec.replaceFirst(",[^,]*,", ",null,"))),
            "--attention global",
            "x[1] is NaN or null at seq_id=a, pos=0"),
        bad(
            "null x",
            jsonWith(1, line("\"a\"", "1", "null")),
            "--attention global",
            "null x at seq_id=a, pos=1"),
        bad(
            "null pos",
            jsonWith(6, line("\"b\"", "null", vec)),
            "--attention global",
            "null pos (seq_id=b)"),
        bad(
            "null seq_id",
            jsonWith(2, line("null", "2", vec)),
            "--attention global",
            "null seq_id (pos=2)"),
        bad(
            "negative pos",
            jsonWith(3, line("\"a\"", "-1", vec)),
            "--attention global",
            "negative pos at seq_id=a, pos=-1"),
        bad(
            "duplicate pos",
            jsonWith(6, line("\"b\"", "1", vec)),
            "--attention global",
            "seq_id=b: duplicate pos 1"),
        bad(
            "missing pos",
            jsonWith(3, line("\"a\"", "5", vec)),
            "--attention global",
            "seq_id=a: missing pos 3, 4"),
        bad(
            "zero-length vector",
            jsonWith(0, line("\"a\"", "0", "[]")),
            "--attention global",
            "zero-length x at seq_id=a, pos=0"),
        bad(
            "strings in x",
            jsonWith(
                4,
                line(
                    "\"b\"",
                    "0",
                    vec.replace("[", "[\"").replace(",", "\",\"").replace("]", "\"]"))),
            "--attention global",
            "column x has type array<string>",
            "strings where numbers belong"),
        bad(
            "seq_id of a wrong type",
            json(List.of(line("1.5", "0", vec))),
            "--attention global",
            "column seq_id has type double"),
        bad(
            "empty file",
            dir -> Files.createFile(dir.resolve("in.json")).toString(),
            "--attention global",
            "input file is empty: ",
            "in.json"),
        bad(
            "directory with no data files",
            dir -> {
              Path d = Files.createDirectories(dir.resolve("in.parquet"));
              Files.createFile(d.resolve("_SUCCESS"));
              Files.writeString(d.resolve(".hidden"), "x");
              return d.toString();
            },
            "--attention global",
            "input directory has no data files: ",
            "in.parquet"),
        bad(
            "Parquet with no rows",
            dir -> {
              Path p = dir.resolve("in.parquet");
              spark
                  .createDataFrame(List.of(), schema(DataTypes.StringType, DataTypes.IntegerType))
                  .write()
                  .parquet(p.toString());
              return p.toString();
            },
            "--attention global",
            "the input has no rows"),
        bad(
            "missing input path",
            dir -> dir.resolve("nowhere.parquet").toString(),
            "--attention global",
            "input path does not exist: ",
            "nowhere.parquet"),
        bad(
            "missing column x",
            json(List.of("{\"seq_id\":\"a\",\"pos\":0,\"y\":" + vec + "}")),
            "--attention global",
            "input has no column 'x'",
            "columns: pos, seq_id, y"),
        bad(
            "missing column pos",
            json(List.of("{\"seq_id\":\"a\",\"x\":" + vec + "}")),
            "--attention global",
            "input has no column 'pos'"),
        bad(
            "malformed JSON line",
            jsonWith(2, "{\"seq_id\":\"a\",\"pos\":2,\"x\":[1.0,"),
            "--attention global",
            "input has malformed JSON lines",
            "{\"seq_id\":\"a\",\"pos\":2,\"x\":[1.0,"),
        bad(
            "heads not dividing d_model",
            goodJson(),
            "--attention global --heads 3",
            "3 heads do not divide",
            "width 8"),
        bad("weights file missing", goodJson(), w, "weights file does not exist: ", "w.json"),
        bad(
            "weights invalid JSON",
            weightsJson("{\"wq\": [[1, 2], "),
            w,
            "weights file ",
            "is not valid JSON"),
        bad(
            "weights unknown key",
            weightsJson("{\"wz\": " + matrixJson(D, D) + "}"),
            w,
            "has unknown key 'wz'"),
        bad(
            "weights wrong shape",
            weightsJson("{\"wq\": " + matrixJson(4, D) + "}"),
            w,
            "wq is 4×8 but the query input is 8 wide"),
        bad(
            "weights q and k widths differ",
            weightsJson("{\"wq\": " + matrixJson(D, 4) + "}"),
            w,
            "queries are 4 wide but keys 8 wide"),
        bad(
            "weights ragged rows",
            weightsJson("{\"wk\": [[1,0,0,0,0,0,0,0],[0,1,0]]}"),
            w,
            "wk row 1 has 3 entries, row 0 has 8"),
        bad(
            "weights bias without matrix",
            weightsJson("{\"bq\": [0,0,0,0,0,0,0,0]}"),
            w,
            "bq is given without wq"),
        bad(
            "local without --window",
            goodJson(),
            "--attention local",
            "--attention local needs --window W"),
        bad(
            "global with --window",
            goodJson(),
            "--attention global --window 2",
            "--window applies to local and causal attention, not global"),
        bad(
            "negative window",
            goodJson(),
            "--attention local --window -1",
            "--window must be >= 0, got -1"),
        bad(
            "block size 0",
            goodJson(),
            "--attention global --block-size 0",
            "--block-size must be >= 1, got 0"),
        bad(
            "window strategy with global attention",
            goodJson(),
            "--attention global --strategy window",
            "strategy 'window' needs a windowed mask"),
        bad(
            "pos holding strings",
            jsonWith(2, line("\"a\"", "\"2\"", vec)),
            "--attention global",
            "column pos has type string; expected an integer type"),
        bad(
            "window too large",
            goodJson(),
            "--attention local --window 4",
            "--window 4 is too large: the longest sequence has 4 tokens",
            "use --attention global"),
        bad(
            "causal window too large",
            goodJson(),
            "--attention causal --window 9",
            "--window 9 is too large",
            "drop --window for plain causal attention"),
        bad(
            "unreadable file (not Parquet)",
            dir -> Files.writeString(dir.resolve("in.parquet"), "seq_id,pos,x\n").toString(),
            "--attention global",
            "cannot read input ",
            "in.parquet as parquet: "),
        bad(
            "unreadable path (unknown file system)",
            dir -> "nosuch://bucket/in.parquet",
            "--attention global",
            "cannot read input path nosuch://bucket/in.parquet: ",
            "No FileSystem for scheme \"nosuch\""),
        bad(
            "plan too large for memory",
            dir -> {
              List<String> lines = new ArrayList<>();
              for (int p = 0; p < 20_000; p++) {
                lines.add(line("\"long\"", String.valueOf(p), "[0.5]"));
              }
              return json(lines).make(dir);
            },
            "--attention global --strategy single --block-size 20000",
            "strategy single needs about ",
            "use --strategy blocks"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputIsRefusedWithAPreciseMessage(String name, Bad bad) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    String input = bad.input().make(dir);
    List<String> options = new ArrayList<>();
    for (String o : bad.options()) {
      options.add(o.equals("W") ? dir.resolve("w.json").toString() : o);
    }
    Path out = dir.resolve("out");
    // As the user runs it: through the launcher, which prints what they see.
    Launch l = launch(withIo(input, out, options.toArray(new String[0])));
    assertEquals(JobLauncher.USAGE_ERROR, l.code(), l.err());
    assertEquals("", l.out());
    String err = l.err().strip();
    assertFalse(err.contains("\tat "), "no stack trace without --verbose:\n" + err);
    assertEquals(1, err.lines().count(), "one line:\n" + err);
    assertTrue(err.startsWith("error: "), err);
    for (String part : bad.expected()) {
      assertTrue(err.contains(part), "'" + part + "' not in: " + err);
    }
    assertFalse(Files.exists(out), "nothing written");
    assertNoStaging(dir);
  }

  @Test
  void verboseShowsTheStackTraceOfABadInput() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "verbose");
    String input = jsonWith(3, line("\"a\"", "-1", json(smallVector(1, D)))).make(dir);
    Path out = dir.resolve("out");
    Launch l = launch(withIo(input, out, "--attention", "global", "--verbose"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().startsWith("error: invalid input: 1 bad row(s)"), l.err());
    assertTrue(l.err().contains("\tat io.sparkattention."), l.err());
    assertFalse(Files.exists(out));
  }

  // ------------------------------------------------------------------ running the job

  static String[] withIo(String input, Path out, String... options) {
    List<String> a = new ArrayList<>(List.of("--input", input, "--output", out.toString()));
    a.addAll(Arrays.asList(options));
    return a.toArray(new String[0]);
  }

  /** The job's command line on the shared session: options, run and errors as its main has them. */
  @CommandLine.Command(name = "attention")
  static final class OnSharedSession implements Callable<Integer> {
    @CommandLine.Mixin AttentionJob job = new AttentionJob();

    @Override
    public Integer call() {
      AttentionJob.run(spark, job.config());
      return 0;
    }
  }

  /** Exit code, standard output and standard error of a launch. */
  record Launch(int code, String out, String err) {}

  /** Runs the job as {@code main} would (exit code and messages), on the shared session. */
  static Launch launch(String... args) {
    OnSharedSession command = new OnSharedSession();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        JobLauncher.execute(
            command,
            args,
            () -> command.job.verbosity.verbose,
            new PrintWriter(out),
            new PrintWriter(err));
    return new Launch(code, out.toString(), err.toString());
  }

  /** Parses the options as the command line would and runs the job. */
  static long run(String input, Path out, String... options) {
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(withIo(input, out, options));
    return AttentionJob.run(spark, job.config());
  }

  static void assertNoStaging(Path parent) throws IOException {
    try (Stream<Path> files = Files.list(parent)) {
      List<String> staging =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.contains(".staging-"))
              .collect(Collectors.toList());
      assertTrue(staging.isEmpty(), "staging left behind: " + staging);
    }
  }

  // ------------------------------------------------------------------ tables

  static Object[] ids(boolean integerIds) {
    Object[] ids = new Object[LENGTHS.length];
    for (int s = 0; s < ids.length; s++) {
      ids[s] = integerIds ? (Object) INT_IDS[s] : STRING_IDS[s];
    }
    return ids;
  }

  static StructType schema(DataType seqType, DataType posType) {
    return new StructType()
        .add("seq_id", seqType, false)
        .add("pos", posType, false)
        .add("x", SQLDataTypes.VectorType(), false);
  }

  /** All tokens, shuffled with {@code seed}: {seq index, pos}. */
  static List<int[]> shuffledTokens(long seed) {
    List<int[]> tokens = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      for (int p = 0; p < LENGTHS[s]; p++) {
        tokens.add(new int[] {s, p});
      }
    }
    Collections.shuffle(tokens, new Random(seed));
    return tokens;
  }

  /** Integer ids come with long positions, string ids with int positions. */
  static String writeParquet(Path path, boolean integerIds, long seed, int files) {
    Object[] ids = ids(integerIds);
    List<Row> rows = new ArrayList<>();
    for (int[] t : shuffledTokens(seed)) {
      rows.add(
          RowFactory.create(
              ids[t[0]],
              integerIds ? (Object) (long) t[1] : (Object) t[1],
              Vectors.dense(seqs[t[0]][t[1]])));
    }
    StructType schema =
        schema(
            integerIds ? DataTypes.IntegerType : DataTypes.StringType,
            integerIds ? DataTypes.LongType : DataTypes.IntegerType);
    spark
        .createDataFrame(rows, schema)
        .repartition(files)
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(path.toString());
    return path.toString();
  }

  static String writeJson(Path path, boolean integerIds, long seed) throws IOException {
    Object[] ids = ids(integerIds);
    List<String> lines = new ArrayList<>();
    for (int[] t : shuffledTokens(seed)) {
      String id = integerIds ? String.valueOf(ids[t[0]]) : "\"" + ids[t[0]] + "\"";
      lines.add(line(id, String.valueOf(t[1]), json(seqs[t[0]][t[1]])));
    }
    Files.write(path, lines, StandardCharsets.UTF_8);
    return path.toString();
  }

  static String line(String seq, String pos, String x) {
    return "{\"seq_id\":" + seq + ",\"pos\":" + pos + ",\"x\":" + x + "}";
  }

  static String json(double[] v) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (double d : v) {
      j.add(Double.toString(d));
    }
    return j.toString();
  }

  static String json(double[][] m) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (double[] r : m) {
      j.add(json(r));
    }
    return j.toString();
  }

  static double[] smallVector(int seed, int d) {
    double[] v = new double[d];
    for (int c = 0; c < d; c++) {
      v[c] = ((seed * 7 + c * 3) % 11 - 5) / 4.0;
    }
    return v;
  }

  static double[][] gaussian(Random rnd, int rows, int cols, double scale) {
    double[][] m = new double[rows][cols];
    for (double[] r : m) {
      for (int c = 0; c < cols; c++) {
        r[c] = scale * rnd.nextGaussian();
      }
    }
    return m;
  }

  static String key(Object seqId, long pos) {
    return seqId + "/" + pos;
  }

  static double[] vector(Row row, String column) {
    Object v = row.getAs(column);
    if (v instanceof Vector) {
      return ((Vector) v).toArray();
    }
    List<Object> list = row.getList(row.fieldIndex(column));
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).doubleValue();
    }
    return out;
  }

  /** Output rows by "seq_id/pos" (seq_id as written; failing on a repeated key). */
  static Map<String, double[]> collect(Dataset<Row> result) {
    Map<String, double[]> out = new HashMap<>();
    for (Row r : result.collectAsList()) {
      String k = key(r.getAs("seq_id"), ((Number) r.getAs("pos")).longValue());
      assertTrue(out.put(k, vector(r, "out")) == null, "repeated output row " + k);
    }
    return out;
  }

  // ------------------------------------------------------------------ the reference

  /** Weights by hand; any part may be null (identity / zero). */
  static final class Weights {
    double[][] wq;
    double[] bq;
    double[][] wk;
    double[] bk;
    double[][] wv;
    double[] bv;
    double[][] wo;
    double[] bo;

    String toJson() {
      StringJoiner j = new StringJoiner(", ", "{", "}");
      String[] names = {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"};
      Object[] parts = {wq, bq, wk, bk, wv, bv, wo, bo};
      for (int i = 0; i < names.length; i++) {
        if (parts[i] instanceof double[][]) {
          j.add("\"" + names[i] + "\": " + json((double[][]) parts[i]));
        } else if (parts[i] instanceof double[]) {
          j.add("\"" + names[i] + "\": " + json((double[]) parts[i]));
        }
      }
      return j.toString();
    }
  }

  static boolean allowed(String kind, Integer window, int q, int k) {
    switch (kind) {
      case "global":
        return true;
      case "local":
        return Math.abs(q - k) <= window;
      case "causal":
        return k <= q && (window == null || k >= q - window);
      default:
        throw new IllegalArgumentException(kind);
    }
  }

  /** {@code X·W + b} in loops; null W is the identity, null b zero. */
  static double[][] project(double[][] X, double[][] W, double[] b) {
    int n = X[0].length;
    int m = W == null ? n : W[0].length;
    double[][] Y = new double[X.length][m];
    for (int i = 0; i < X.length; i++) {
      for (int j = 0; j < m; j++) {
        double s = W == null ? X[i][j] : 0;
        if (W != null) {
          for (int c = 0; c < n; c++) {
            s += X[i][c] * W[c][j];
          }
        }
        Y[i][j] = s + (b == null ? 0 : b[j]);
      }
    }
    return Y;
  }

  /**
   * Multi-head self-attention written from the formulas: Q, K, V projected; head h takes columns
   * [h·w/H, (h+1)·w/H); per query a softmax over the allowed keys of q·k/√(w/H), max subtracted;
   * heads concatenated; then ·Wo + bo.
   */
  static double[][] reference(double[][] X, Weights w, int heads, String kind, Integer window) {
    Weights none = new Weights();
    Weights ws = w == null ? none : w;
    double[][] Q = project(X, ws.wq, ws.bq);
    double[][] K = project(X, ws.wk, ws.bk);
    double[][] V = project(X, ws.wv, ws.bv);
    int hq = Q[0].length / heads;
    int hv = V[0].length / heads;
    int n = X.length;
    double[][] concat = new double[n][hv * heads];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < n; i++) {
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
          if (allowed(kind, window, i, j)) {
            double dot = 0;
            for (int c = 0; c < hq; c++) {
              dot += Q[i][h * hq + c] * K[j][h * hq + c];
            }
            s[j] = dot / Math.sqrt(hq);
            max = Math.max(max, s[j]);
          }
        }
        double total = 0;
        double[] acc = new double[hv];
        for (int j = 0; j < n; j++) {
          if (allowed(kind, window, i, j)) {
            double e = Math.exp(s[j] - max);
            total += e;
            for (int c = 0; c < hv; c++) {
              acc[c] += e * V[j][h * hv + c];
            }
          }
        }
        for (int c = 0; c < hv; c++) {
          concat[i][h * hv + c] = acc[c] / total;
        }
      }
    }
    return project(concat, ws.wo, ws.bo);
  }

  static void assertMatchesReference(
      Map<String, double[]> got,
      boolean integerIds,
      Weights w,
      int heads,
      String kind,
      Integer window) {
    Object[] ids = ids(integerIds);
    int tokens = 0;
    double worst = 0;
    String worstAt = "";
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = reference(seqs[s], w, heads, kind, window);
      for (int p = 0; p < LENGTHS[s]; p++) {
        tokens++;
        double[] row = got.get(key(ids[s], p));
        assertTrue(row != null, "no output for " + key(ids[s], p));
        assertEquals(want[p].length, row.length, "output width at " + key(ids[s], p));
        for (int c = 0; c < row.length; c++) {
          double err = Math.abs(row[c] - want[p][c]) / Math.max(1.0, Math.abs(want[p][c]));
          if (!(err <= worst)) {
            worst = err;
            worstAt = key(ids[s], p) + "[" + c + "]";
          }
        }
      }
    }
    assertEquals(tokens, got.size(), "one row per token, nothing else");
    assertTrue(
        worst <= 1e-9,
        String.format(Locale.ROOT, "worst relative error %.3g at %s", worst, worstAt));
  }
}
