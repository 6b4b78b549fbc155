package io.sparkattention.job;

import static io.sparkattention.fixtures.Json.json;
import static io.sparkattention.fixtures.Json.line;
import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.FailingFileSystem;
import io.sparkattention.fixtures.Json;
import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and odd inputs and output paths, as the user runs the job: each is refused with one line
 * naming the row, column or path at fault (exit 2, nothing written), fails as a run (exit 1, the
 * path untouched, no staging), or gives a correct result. Mirrored in the errors table of the docs
 * ("Hostile and odd inputs"), case by case.
 */
class HostileInputSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  static final TokenFiles SMALL = TokenFiles.gaussian(new Random(5), 4, new int[] {2, 3}, "a", "b");

  /** Runs the job; asserts exit 2 and nothing new beside the output. Returns the one line. */
  static String refused(String input, Path out, String... options) throws IOException {
    List<String> before = listing(out.getParent());
    Launch l = JobRuns.launchAttention(withIo(input, out, options));
    assertEquals(JobLauncher.USAGE_ERROR, l.code(), l.err());
    String[] lines = l.err().strip().split("\\R");
    assertEquals(1, lines.length, l.err());
    assertEquals(before, listing(out.getParent()), "nothing written");
    System.out.println("refused: " + lines[0]);
    return lines[0];
  }

  static List<String> listing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  static String jsonFile(Path path, List<String> lines) throws IOException {
    return Json.write(path, lines);
  }

  static List<String> rows(String seq, int n, int d) {
    List<String> lines = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      double[] x = new double[d];
      x[p % d] = 1;
      lines.add(line(seq, String.valueOf(p), json(x)));
    }
    return lines;
  }

  // ---- output paths ----

  @Test
  void outputEqualToInputIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "same");
    String input = SMALL.writeJson(dir.resolve("in.json"), 1);
    String before = Files.readString(Path.of(input));
    String err = refused(input, Path.of(input), "--attention", "global", "--overwrite");
    assertEquals(
        "error: output path " + input + " is the input path; write the result somewhere else", err);
    assertEquals(before, Files.readString(Path.of(input)), "the input untouched");
  }

  @Test
  void outputInsideInputIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "inside");
    Path in = Files.createDirectories(dir.resolve("in"));
    SMALL.writeJson(in.resolve("part-0.json"), 1);
    Path out = in.resolve("out");
    String err = refused(in.toString(), out, "--attention", "global");
    assertEquals(
        "error: output path "
            + out
            + " is inside the input path "
            + in
            + "; write the result outside it",
        err);
  }

  @Test
  void inputInsideOutputIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "holds");
    Path out = Files.createDirectories(dir.resolve("out"));
    String input = SMALL.writeJson(out.resolve("in.json"), 1);
    String err = refused(input, out, "--attention", "global", "--overwrite");
    assertEquals(
        "error: input path "
            + input
            + " is inside the output path "
            + out
            + "; write the result somewhere else",
        err);
    assertTrue(Files.exists(Path.of(input)));
  }

  @Test
  void unwritableOutputDirectoryIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "readonly");
    String input = SMALL.writeJson(dir.resolve("in.json"), 1);
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    FailingFileSystem.install(conf, "readonly");
    try {
      String out = FailingFileSystem.SCHEME + "://" + dir.resolve("out");
      Launch l =
          JobRuns.launchAttention("--input", input, "--output", out, "--attention", "global");
      assertEquals(JobLauncher.USAGE_ERROR, l.code(), l.err());
      String err = l.err().strip();
      System.out.println("refused: " + err);
      assertTrue(err.startsWith("error: cannot write to the output directory failfs:" + dir), err);
      assertTrue(err.contains("Permission denied"), err);
      assertEquals(
          List.of("in.json"),
          listing(dir).stream().filter(n -> !n.startsWith(".")).collect(Collectors.toList()));
    } finally {
      conf.set(FailingFileSystem.MODE_KEY, "");
    }
  }

  @Test
  void fullDiskFailsTheRunAndLeavesTheOldOutputAndNoStaging() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "full");
    String input = SMALL.writeJson(dir.resolve("in.json"), 1);
    Path outDir = Files.createDirectories(dir.resolve("out"));
    Files.writeString(outDir.resolve("old-result.txt"), "previous");
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    FailingFileSystem.install(conf, "full");
    try {
      String out = FailingFileSystem.SCHEME + "://" + outDir;
      Launch l =
          JobRuns.launchAttention(
              "--input", input, "--output", out, "--attention", "global", "--overwrite");
      assertEquals(JobLauncher.RUN_ERROR, l.code(), l.err());
      String[] lines = l.err().strip().split("\\R");
      System.out.println("failed: " + lines[0]);
      assertEquals("error: job failed: IOException: No space left on device", lines[0]);
      assertEquals("(run with --verbose for the stack trace)", lines[1]);
    } finally {
      conf.set(FailingFileSystem.MODE_KEY, "");
    }
    assertEquals(List.of("old-result.txt"), listing(outDir), "the old output untouched");
    assertEquals(
        List.of("in.json", "out"),
        listing(dir).stream().filter(n -> !n.startsWith(".")).collect(Collectors.toList()),
        "no staging, no lock");
  }

  // ---- positions ----

  @Test
  void positionBeyondTheIntRangeIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bigpos");
    List<String> lines = rows("\"a\"", 2, 4);
    lines.add(line("\"a\"", "3000000000", json(new double[] {1, 2, 3, 4})));
    String input = jsonFile(dir.resolve("in.json"), lines);
    String err = refused(input, dir.resolve("out"), "--attention", "global");
    assertEquals(
        "error: invalid input: 1 bad row(s), e.g. pos 3000000000 is too large (limit 268435456)"
            + " at seq_id=a, pos=3000000000",
        err);
  }

  @Test
  void fractionalPositionIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "fracpos");
    List<String> lines = rows("\"a\"", 2, 4);
    lines.add(line("\"a\"", "1.5", json(new double[] {1, 2, 3, 4})));
    String input = jsonFile(dir.resolve("in.json"), lines);
    assertEquals(
        "error: input column pos has type double; expected an integer type",
        refused(input, dir.resolve("out"), "--attention", "global"));
  }

  @Test
  void decimalPositionIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "decpos");
    List<String> lines = rows("\"a\"", 2, 4);
    lines.add(line("\"a\"", "100000000000000000000", json(new double[] {1, 2, 3, 4})));
    String input = jsonFile(dir.resolve("in.json"), lines);
    assertEquals(
        "error: input column pos has type decimal(21,0); expected an integer type",
        refused(input, dir.resolve("out"), "--attention", "global"));
  }

  // ---- JSON and typing ----

  @Test
  void jsonLineWithDuplicateKeysIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "dupkeys");
    List<String> lines = rows("\"a\"", 3, 4);
    lines.set(1, "{\"seq_id\":\"a\",\"pos\":1,\"pos\":2,\"x\":[1.0,2.0,3.0,4.0]}");
    String input = jsonFile(dir.resolve("in.json"), lines);
    assertEquals(
        "error: input has JSON lines with the key 'pos' twice (or two keys differing only in"
            + " case), e.g. {\"seq_id\":\"a\",\"pos\":1,\"pos\":2,\"x\":[1.0,2.0,3.0,4.0]}",
        refused(input, dir.resolve("out"), "--attention", "global"));
  }

  @Test
  void sequenceIdTypedDifferentlyAcrossJsonFilesIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "mixedids");
    Path in = Files.createDirectories(dir.resolve("in"));
    jsonFile(in.resolve("part-0.json"), rows("1", 2, 4));
    jsonFile(in.resolve("part-1.json"), rows("\"1\"", 2, 4));
    // JSON has one type per column: 1 and "1" are read as the string "1", one sequence.
    assertEquals(
        "error: invalid input: column pos must hold 0 … n-1 once each within a sequence; 1"
            + " sequence(s) do not: seq_id=1: duplicate pos 0, 1",
        refused(in.toString(), dir.resolve("out"), "--attention", "global", "--format", "json"));
  }

  @Test
  void sequenceIdTypedDifferentlyAcrossParquetFilesIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "mixedparquet");
    Path in = Files.createDirectories(dir.resolve("in.parquet"));
    TokenFiles strings = SMALL.withIds("1", "2");
    TokenFiles longs = SMALL.withIds(3, 4);
    strings.writeParquet(spark, dir.resolve("s.parquet"), 1, 1);
    longs.writeParquet(spark, dir.resolve("l.parquet"), 1, 1);
    for (String part : List.of("s.parquet", "l.parquet")) {
      try (Stream<Path> files = Files.list(dir.resolve(part))) {
        for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
          Files.move(f, in.resolve(part.charAt(0) + "-" + f.getFileName()));
        }
      }
    }
    String err = refused(in.toString(), dir.resolve("out"), "--attention", "global");
    assertTrue(
        err.startsWith("error: input files disagree on the type of column seq_id: one file has "),
        err);
    assertTrue(err.endsWith("; all files of a table need the same column types"), err);
  }

  @Test
  void aColumnTheJobDoesNotUseIsNeverRead() throws IOException {
    // Files that disagree on the type of a column the job has no use for: read, it would fail the
    // first pass as seq_id does above. The job reads seq_id, pos and x only.
    Path dir = Files.createTempDirectory(tmp, "unusedcolumn");
    Path in = Files.createDirectories(dir.resolve("in.parquet"));
    TokenFiles a = TokenFiles.gaussian(new Random(21), 4, new int[] {3}, "a");
    TokenFiles b = TokenFiles.gaussian(new Random(22), 4, new int[] {5}, "b");
    a.writeParquet(spark, dir.resolve("a.parquet"), 1, 1);
    b.writeParquet(spark, dir.resolve("b.parquet"), 1, 1);
    Map<String, Column> notes = Map.of("a", functions.lit("some text"), "b", functions.lit(7L));
    for (Map.Entry<String, Column> note : notes.entrySet()) {
      Path typed = dir.resolve(note.getKey() + "-noted.parquet");
      spark
          .read()
          .parquet(dir.resolve(note.getKey() + ".parquet").toString())
          .withColumn("note", note.getValue())
          .write()
          .parquet(typed.toString());
      try (Stream<Path> files = Files.list(typed)) {
        for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
          Files.move(f, in.resolve(note.getKey() + "-" + f.getFileName()));
        }
      }
    }
    Path out = dir.resolve("out");
    Launch l = JobRuns.launchAttention(withIo(in.toString(), out, "--attention", "global"));
    assertEquals(JobLauncher.OK, l.code(), l.err());
    GlobalResults.assertGlobal(
        spark.read().parquet(out.toString()),
        new TokenFiles(new Object[] {"a", "b"}, new double[][][] {a.x[0], b.x[0]}));
  }

  // ---- sizes ----

  @Test
  void sequenceIdOf100000CharactersGivesACorrectResultAndShortMessages() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "longid");
    String longId = "s".repeat(99_990) + "0123456789";
    TokenFiles tokens = SMALL.withIds("a", longId);
    String input = tokens.writeJson(dir.resolve("in.json"), 1);
    Path out = dir.resolve("out");
    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.OK, l.code(), l.err());
    GlobalResults.assertGlobal(spark.read().json(out.toString()), tokens);

    // A bad row of that sequence: the message shows the id's start and length, not all of it.
    List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(input)));
    int bad = 0;
    while (!lines.get(bad).contains(longId)) {
      bad++;
    }
    lines.set(bad, lines.get(bad).replaceAll("\\[.*\\]", "[1.0,NaN,3.0,4.0]"));
    String badInput = jsonFile(dir.resolve("bad.json"), lines);
    String err = refused(badInput, dir.resolve("out-bad"), "--attention", "global");
    assertTrue(err.contains("seq_id=" + "s".repeat(40) + "… (100000 characters), pos="), err);
    assertTrue(err.length() < 300, err);
  }

  @Test
  void manyOneTokenSequencesGiveOneRowEach() throws IOException {
    int n = 100_000;
    Path dir = Files.createTempDirectory(tmp, "many");
    List<String> lines = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      lines.add(line("\"s" + i + "\"", "0", "[" + i + ".0,1.0]"));
    }
    String input = jsonFile(dir.resolve("in.json"), lines);
    Path out = dir.resolve("out");
    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.OK, l.code(), l.err());
    // A token alone attends only to itself: its output is its value vector, x itself.
    java.util.Map<String, double[]> got =
        io.sparkattention.fixtures.ResultTables.collect(spark.read().json(out.toString()));
    assertEquals(n, got.size());
    for (int i = 0; i < n; i += 997) {
      double[] row = got.get("s" + i + "/0");
      assertEquals(i, row[0], 1e-12 * Math.max(1, i));
      assertEquals(1.0, row[1], 1e-12);
    }
  }

  @Test
  void vectorsOfWidth65536GiveACorrectResult() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "wide");
    TokenFiles wide = TokenFiles.gaussian(new Random(9), 65_536, new int[] {2, 1}, "p", "q");
    String input = wide.writeJson(dir.resolve("in.json"), 1);
    Path out = dir.resolve("out");
    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.OK, l.code(), l.err());
    GlobalResults.assertGlobal(spark.read().json(out.toString()), wide);
  }

  @Test
  void parquetWithNestedExtraColumnsAndFloatVectorsGivesACorrectResult() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "nested");
    TokenFiles doubles = TokenFiles.gaussian(new Random(11), 4, new int[] {3, 2}, "a", "b");
    double[][][] rounded = new double[2][][];
    List<org.apache.spark.sql.Row> rows = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      rounded[s] = new double[doubles.x[s].length][4];
      for (int p = 0; p < doubles.x[s].length; p++) {
        Float[] f = new Float[4];
        for (int c = 0; c < 4; c++) {
          f[c] = (float) doubles.x[s][p][c];
          rounded[s][p][c] = f[c];
        }
        rows.add(
            org.apache.spark.sql.RowFactory.create(
                doubles.ids[s],
                p,
                f,
                org.apache.spark.sql.RowFactory.create("src-" + s, new String[] {"t", "u"}),
                java.util.Map.of("k", new Double[] {1.0, 2.0})));
      }
    }
    org.apache.spark.sql.types.StructType schema =
        new org.apache.spark.sql.types.StructType()
            .add("seq_id", "string")
            .add("pos", "int")
            .add("x", "array<float>")
            .add("meta", "struct<source:string,tags:array<string>>")
            .add("extra", "map<string,array<double>>");
    String input = dir.resolve("in.parquet").toString();
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(input);
    Path out = dir.resolve("out");
    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.OK, l.code(), l.err());
    GlobalResults.assertGlobal(
        spark.read().parquet(out.toString()), new TokenFiles(doubles.ids, rounded));
  }
}
