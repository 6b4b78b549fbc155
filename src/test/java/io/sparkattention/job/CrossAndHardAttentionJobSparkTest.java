package io.sparkattention.job;

import static io.sparkattention.fixtures.Json.json;
import static io.sparkattention.fixtures.Json.line;
import static io.sparkattention.fixtures.Matrices.gaussian;
import static io.sparkattention.fixtures.Matrices.project;
import static io.sparkattention.fixtures.Matrices.smallVector;
import static io.sparkattention.fixtures.OutputFiles.assertNoStaging;
import static io.sparkattention.fixtures.ResultTables.collect;
import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.InputFile;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.Rule;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code --attention cross} and {@code --attention hard} end to end ({@link AttentionJob#run} on
 * files) against {@link SoftmaxReference} and {@link HardReference} with the projections done by
 * hand: one row per target token, the same sampled choices however the work is split, and one
 * precise {@link InputException} per kind of bad context, with nothing written.
 */
class CrossAndHardAttentionJobSparkTest {
  static final int D = 8;

  /** The context's vectors are narrower than the target's: wk and wv map 6 → 8. */
  static final int DC = 6;

  static final String[] IDS = {"one", "six", "thirty-seven", "ninety"};
  static final int[] TARGET_LENGTHS = {1, 6, 37, 90};

  /** Longer, length 1, longer, shorter than the target. */
  static final int[] CONTEXT_LENGTHS = {3, 1, 50, 17};

  static SparkSession spark;
  @TempDir static Path tmp;

  static double[][][] targets;
  static double[][][] contexts;
  static double[][][] sameWidthContexts;
  static Weights crossWeights;
  static Weights selfWeights;
  static Path crossWeightsFile;
  static Path selfWeightsFile;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    Random rnd = new Random(606);
    targets = new double[IDS.length][][];
    contexts = new double[IDS.length][][];
    sameWidthContexts = new double[IDS.length][][];
    for (int s = 0; s < IDS.length; s++) {
      targets[s] = gaussian(rnd, TARGET_LENGTHS[s], D, 1.0);
      contexts[s] = gaussian(rnd, CONTEXT_LENGTHS[s], DC, 1.0);
      sameWidthContexts[s] = gaussian(rnd, CONTEXT_LENGTHS[s], D, 1.0);
    }
    crossWeights = weights(rnd, DC);
    selfWeights = weights(rnd, D);
    crossWeightsFile = Files.writeString(tmp.resolve("cross-weights.json"), crossWeights.toJson());
    selfWeightsFile = Files.writeString(tmp.resolve("self-weights.json"), selfWeights.toJson());
  }

  static Weights weights(Random rnd, int keyInputWidth) {
    return Weights.projections(rnd, D, keyInputWidth, D, 0.5);
  }

  // ------------------------------------------------------------------ cross-attention

  static Stream<Arguments> crossRuns() {
    return Stream.of(
        Arguments.of(
            TableFormat.JSON,
            TableFormat.JSON,
            true,
            "--heads 2 --strategy blocks --block-size 8 --query-tile-blocks 2 --key-tile-blocks 1"),
        Arguments.of(
            TableFormat.PARQUET,
            TableFormat.JSON,
            true,
            "--heads 4 --strategy single --block-size 16"),
        Arguments.of(TableFormat.PARQUET, TableFormat.PARQUET, false, "--heads 2"));
  }

  @ParameterizedTest(name = "input {0}, context {1}, weights={2}: {3}")
  @MethodSource("crossRuns")
  void crossAttentionMatchesTheReference(
      TableFormat inputFormat, TableFormat contextFormat, boolean weighted, String options)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "cross");
    double[][][] ctx = weighted ? contexts : sameWidthContexts;
    String input = write(dir, "in", inputFormat, IDS, targets, 1);
    String context = write(dir, "ctx", contextFormat, IDS, ctx, 2);
    List<String> args = new ArrayList<>(List.of("--attention", "cross", "--context", context));
    if (weighted) {
      args.addAll(List.of("--weights", crossWeightsFile.toString()));
    }
    args.addAll(Arrays.asList(options.split(" ")));
    Path out = dir.resolve("out");
    long written = JobRuns.attention(input, out, args.toArray(new String[0]));
    assertEquals(Arrays.stream(TARGET_LENGTHS).sum(), written, "one row per target token");
    int heads = Integer.parseInt(options.replaceAll(".*--heads (\\d+).*", "$1"));
    Weights w = weighted ? crossWeights : new Weights();
    assertMatches(
        spark.read().format(inputFormat.toString()).load(out.toString()),
        (s) -> reference(targets[s], ctx[s], w, heads, Allowed.ALL, Rule.SOFT, 0));
  }

  // ------------------------------------------------------------------ hard attention

  static Stream<Arguments> hardRuns() {
    return Stream.of(
        Arguments.of(
            "--attention hard --causal --window 20 --heads 2 --weights W --strategy blocks"
                + " --block-size 8 --query-tile-blocks 1 --key-tile-blocks 2",
            Allowed.causalWindow(20),
            Rule.ARGMAX),
        Arguments.of(
            "--attention hard --window 4 --heads 4 --strategy window --block-size 16",
            Allowed.window(4),
            Rule.ARGMAX),
        Arguments.of(
            "--attention hard --sample --seed 31 --heads 2 --weights W --strategy heads"
                + " --block-size 16 --key-tile-blocks 1",
            Allowed.ALL,
            Rule.SAMPLED),
        Arguments.of(
            "--attention hard --causal --sample --seed 5 --strategy auto",
            Allowed.causal(),
            Rule.SAMPLED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hardRuns")
  void hardAttentionMatchesTheReference(String options, Allowed allowed, Rule rule)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "hard");
    String input = write(dir, "in", TableFormat.PARQUET, IDS, targets, 3);
    String[] args = options.replace(" W ", " " + selfWeightsFile + " ").split(" ");
    Path out = dir.resolve("out");
    JobRuns.attention(input, out, args);
    CommandLine.ParseResult parsed =
        new CommandLine(new AttentionJob()).parseArgs(withIo(input, out, args));
    int heads = parsed.matchedOptionValue("--heads", 1);
    long seed = parsed.matchedOptionValue("--seed", 0L);
    Weights w = options.contains("--weights") ? selfWeights : new Weights();
    assertMatches(
        spark.read().parquet(out.toString()),
        (s) -> reference(targets[s], targets[s], w, heads, allowed, rule, seed));
  }

  /**
   * The sampled choice is a function of (seed, query, key) only: partitions 1 and 5 give the same
   * bits, and one task per sequence the same choices as one task per 8 × 8 block pair.
   */
  @Test
  void sampledChoicesDoNotDependOnTheSplit() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "sampled");
    String input = write(dir, "in", TableFormat.PARQUET, IDS, targets, 3);
    String common =
        "--attention hard --sample --seed 2718 --heads 2 --weights "
            + selfWeightsFile
            + " --block-size 8 --strategy ";
    Map<String, double[]> one =
        runAndCollect(
            input, dir.resolve("one"), common + "blocks --key-tile-blocks 1 --partitions 1");
    Map<String, double[]> five =
        runAndCollect(
            input, dir.resolve("five"), common + "blocks --key-tile-blocks 1 --partitions 5");
    Map<String, double[]> single = runAndCollect(input, dir.resolve("single"), common + "single");
    assertEquals(one.keySet(), five.keySet());
    for (String k : one.keySet()) {
      assertArrayEquals(one.get(k), five.get(k), 0.0, "partitions 1 vs 5 at " + k);
    }
    // a different choice would differ by the distance of two values, far above 1e-9
    assertMatches(
        spark.read().parquet(dir.resolve("one").toString()),
        (s) -> reference(targets[s], targets[s], selfWeights, 2, Allowed.ALL, Rule.SAMPLED, 2718));
    assertMatches(
        spark.read().parquet(dir.resolve("single").toString()),
        (s) -> reference(targets[s], targets[s], selfWeights, 2, Allowed.ALL, Rule.SAMPLED, 2718));
  }

  // ------------------------------------------------------------------ bad contexts

  /** Context JSON lines: the good ones (as {@link #contextLines()}) with edits. */
  static InputFile contextJson(List<String> lines) {
    return InputFile.lines("ctx.jsonl", lines);
  }

  /** A good context of width D for the small target a (2 tokens), b (1 token). */
  static List<String> contextLines() {
    List<String> lines = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      lines.add(line("\"a\"", String.valueOf(p), json(smallVector(p, D))));
    }
    lines.add(line("\"b\"", "0", json(smallVector(5, D))));
    return lines;
  }

  static List<String> contextWith(int index, String replacement) {
    List<String> lines = contextLines();
    if (replacement == null) {
      lines.remove(index);
    } else {
      lines.set(index, replacement);
    }
    return lines;
  }

  static List<String> contextPlus(String... extra) {
    List<String> lines = contextLines();
    lines.addAll(Arrays.asList(extra));
    return lines;
  }

  static Arguments bad(String name, InputFile context, String... expected) {
    return Arguments.of(name, context, expected);
  }

  static Stream<Arguments> badContexts() {
    String vec = json(smallVector(2, D));
    List<String> extra = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      extra.add(line("\"x" + i + "\"", "0", vec));
    }
    return Stream.of(
        bad(
            "seq_id missing from the context",
            contextJson(contextWith(3, null)),
            "cross-attention needs the same seq_ids in the input and the context: 1 seq_id(s) of"
                + " the input are not in the context: b"),
        bad(
            "seq_ids missing from the input",
            contextJson(contextPlus(extra.toArray(new String[0]))),
            "7 seq_id(s) of the context are not in the input: x0, x1, x2, x3, x4, …"),
        bad(
            "seq_ids missing on both sides",
            contextJson(
                List.of(line("\"a\"", "0", vec), line("\"z\"", "0", vec), line("\"y\"", "0", vec))),
            "1 seq_id(s) of the input are not in the context: b; 2 seq_id(s) of the context are"
                + " not in the input: y, z"),
        bad(
            "integer seq_ids against string ones",
            contextJson(List.of(line("1", "0", vec), line("2", "0", vec))),
            "seq_id is a string in the input but an integer in the context"),
        bad(
            "duplicate pos in the context",
            contextJson(contextWith(2, line("\"a\"", "0", vec))),
            "invalid context: column pos must hold 0 … n-1 once each within a sequence;",
            "seq_id=a: duplicate pos 0"),
        bad(
            "missing pos in the context",
            contextJson(contextWith(1, line("\"a\"", "4", vec))),
            "invalid context: ",
            "seq_id=a: missing pos 1, 3"),
        bad(
            "mixed widths in the context",
            contextJson(contextWith(1, line("\"a\"", "1", "[1.0,2.0]"))),
            "invalid context: column x has mixed vector lengths"),
        bad(
            "NaN in the context",
            dir -> {
              List<Row> rows = new ArrayList<>();
              rows.add(
                  RowFactory.create(
                      "a", 0, Vectors.dense(new double[] {1, Double.NaN, 0, 0, 0, 0, 0, 0})));
              rows.add(RowFactory.create("b", 0, Vectors.dense(new double[D])));
              Path p = dir.resolve("ctx.parquet");
              spark
                  .createDataFrame(
                      rows, TokenFiles.schema(DataTypes.StringType, DataTypes.IntegerType))
                  .write()
                  .parquet(p.toString());
              return p.toString();
            },
            "invalid context: 1 bad row(s), e.g. x[1] is NaN or null at seq_id=a, pos=0"),
        bad(
            "context without column x",
            contextJson(List.of("{\"seq_id\":\"a\",\"pos\":0,\"v\":" + vec + "}")),
            "context has no column 'x' (columns: pos, seq_id, v)"),
        bad(
            "context seq_id of a wrong type",
            contextJson(List.of(line("2.5", "0", vec))),
            "context column seq_id has type double"),
        bad(
            "context path missing",
            dir -> dir.resolve("nowhere.jsonl").toString(),
            "context path does not exist: ",
            "nowhere.jsonl"),
        bad(
            "empty context file",
            dir -> Files.createFile(dir.resolve("ctx.jsonl")).toString(),
            "context file is empty: "),
        bad(
            "malformed context line",
            contextJson(contextWith(0, "{\"seq_id\":\"a\",\"pos\":0,\"x\":[1.0,")),
            "context has malformed JSON lines"),
        bad(
            "context narrower than the weights expect",
            contextJson(
                List.of(line("\"a\"", "0", "[1.0,2.0,3.0]"), line("\"b\"", "0", "[1.0,2.0,3.0]"))),
            "weights/heads do not fit the input's vectors of width 8 and the context's of width 3:"
                + " queries are 8 wide but keys 3 wide"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badContexts")
  void badContextIsRefusedWithAPreciseMessage(String name, InputFile context, String[] expected)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "badctx");
    Path in = dir.resolve("in.jsonl");
    Files.write(
        in,
        List.of(
            line("\"a\"", "1", json(smallVector(1, D))),
            line("\"b\"", "0", json(smallVector(2, D))),
            line("\"a\"", "0", json(smallVector(3, D)))),
        StandardCharsets.UTF_8);
    String ctx = context.make(dir);
    Path out = dir.resolve("out");
    InputException e =
        assertThrows(
            InputException.class,
            () -> JobRuns.attention(in.toString(), out, "--attention", "cross", "--context", ctx));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
    assertFalse(Files.exists(out), "nothing written");
    assertNoStaging(dir);
  }

  // ------------------------------------------------------------------ helpers

  static Map<String, double[]> runAndCollect(String input, Path out, String options) {
    JobRuns.attention(input, out, options.split(" "));
    return collect(spark.read().parquet(out.toString()));
  }

  /** Writes sequences {@code seqs} under {@code ids} as JSON lines or Parquet, rows shuffled. */
  static String write(
      Path dir, String name, TableFormat format, String[] ids, double[][][] seqs, long seed)
      throws IOException {
    TokenFiles files = new TokenFiles(ids, seqs);
    return format == TableFormat.JSON
        ? files.writeJson(dir.resolve(name + ".jsonl"), seed)
        : files.writeParquet(spark, dir.resolve(name + ".parquet"), seed, 2);
  }

  /** Queries projected from X, keys and values from C, the plain attention, then ·Wo + bo. */
  static double[][] reference(
      double[][] X, double[][] C, Weights w, int heads, Allowed allowed, Rule rule, long seed) {
    double[][] Q = project(X, w.wq, w.bq);
    double[][] K = project(C, w.wk, w.bk);
    double[][] V = project(C, w.wv, w.bv);
    return project(rule.attend(Q, K, V, heads, allowed, seed), w.wo, w.bo);
  }

  interface PerSequence {
    double[][] expected(int seq);
  }

  /** The result has one row per target token, each within 1e-9 of the reference's. */
  static void assertMatches(Dataset<Row> result, PerSequence reference) {
    double[][][] expected = new double[IDS.length][][];
    for (int s = 0; s < IDS.length; s++) {
      expected[s] = reference.expected(s);
    }
    ResultTables.assertMatches(result, IDS, expected, 1e-9);
  }
}
