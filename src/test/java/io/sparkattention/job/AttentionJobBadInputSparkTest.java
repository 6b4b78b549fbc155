package io.sparkattention.job;

import static io.sparkattention.fixtures.Json.json;
import static io.sparkattention.fixtures.Json.line;
import static io.sparkattention.fixtures.Matrices.smallVector;
import static io.sparkattention.fixtures.OutputFiles.assertNoStaging;
import static io.sparkattention.job.BadInputFiles.goodJson;
import static io.sparkattention.job.BadInputFiles.jsonLines;
import static io.sparkattention.job.BadInputFiles.jsonWith;
import static io.sparkattention.job.BadInputFiles.matrixJson;
import static io.sparkattention.job.BadInputFiles.parquetWith;
import static io.sparkattention.job.BadInputFiles.weightsJson;
import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.InputFile;
import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention job refusing bad input and options, as the user runs it (through {@link
 * JobLauncher}): one {@link InputException} with a precise message per kind, printed as one line
 * with exit 2, nothing written. The table is mirrored row for row in the errors table of the docs.
 */
class AttentionJobBadInputSparkTest {
  static final int D = BadInputFiles.D;

  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  record Bad(InputFile input, List<String> options, List<String> expected) {}

  private static Arguments bad(String name, InputFile input, String options, String... expected) {
    List<String> opts = options.isEmpty() ? List.of() : Arrays.asList(options.split(" "));
    return Arguments.of(name, new Bad(input, opts, Arrays.asList(expected)));
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
            jsonLines(List.of(line("1.5", "0", vec))),
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
                  .createDataFrame(
                      List.of(), TokenFiles.schema(DataTypes.StringType, DataTypes.IntegerType))
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
            jsonLines(List.of("{\"seq_id\":\"a\",\"pos\":0,\"y\":" + vec + "}")),
            "--attention global",
            "input has no column 'x'",
            "columns: pos, seq_id, y"),
        bad(
            "missing column pos",
            jsonLines(List.of("{\"seq_id\":\"a\",\"x\":" + vec + "}")),
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
              return jsonLines(lines).make(dir);
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
    Launch l = JobRuns.launchAttention(withIo(input, out, options.toArray(new String[0])));
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
    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global", "--verbose"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().startsWith("error: invalid input: 1 bad row(s)"), l.err());
    assertTrue(l.err().contains("\tat io.sparkattention."), l.err());
    assertFalse(Files.exists(out));
  }
}
